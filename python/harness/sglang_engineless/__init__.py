"""Engine-less harness: the REAL SGLang serving code (whichever copy is on sys.path) in
front of a scripted stand-in for the engine, so the OpenAI chat and completions layers can be
exercised and served without a GPU. See serve.py (HTTP server), engine.py (scripted engine),
make_tokenizer.py (the small tokenizer used as --model-path), adapters/ (per-release glue:
v0.5.9, 0.5.23), launch.py (fetch, patch and serve a release in one call)."""

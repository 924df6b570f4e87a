"""Maintainer tools for the per-release token-ids patch series (patches/sglang-vVERSION/):
porting a series to another SGLang release (patchtools.port) and measuring which contract
clause each diff adds (patchtools.overlap). Run through the npm scripts patches:port and
patches:overlap; pure standard library plus git and the project's scripts."""

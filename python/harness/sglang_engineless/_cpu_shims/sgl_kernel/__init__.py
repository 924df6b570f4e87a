"""Inert stand-in for sgl_kernel (CUDA-only: its import needs libcuda).

SGLang v0.5.9 imports sgl_kernel.kvcacheio unconditionally on the import path of the
serving code (managers/io_struct -> schedule_batch -> mem_cache/memory_pool_host), but the
chat serving layer never calls it. Only put on sys.path when no real sgl_kernel exists.
"""

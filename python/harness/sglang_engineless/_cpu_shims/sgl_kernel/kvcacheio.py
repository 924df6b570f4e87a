"""Names that memory_pool_host imports; calling any of them is an error (no CUDA here)."""


def __getattr__(name):
    def unavailable(*args, **kwargs):
        raise RuntimeError(f"sgl_kernel.kvcacheio.{name} needs CUDA; this is the CPU stand-in")

    unavailable.__name__ = name
    return unavailable

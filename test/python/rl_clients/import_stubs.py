"""Stand-ins for heavy packages the RL clients IMPORT but never CALL on the paths tested here.

The client packages are installed --no-deps (their declared dependencies include ray, torch,
wandb, ...: gigabytes). A module they import only for code paths these tests never run is
replaced by an empty module whose every attribute is `Unused`: using it (calling, subclassing,
reading it as a value) raises StubUsed naming the attribute, so a path that does reach a
stubbed package fails the test instead of quietly doing nothing. Which roots are stubbed is
listed per client in test_rl_clients.py and in test/python/rl_clients/README.md.
"""

import importlib.abc
import importlib.machinery
import sys
import types


class StubUsed(RuntimeError):
    pass


class Unused:
    """Any attribute of a stubbed module: fine to import and to name in annotations."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Unused(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise StubUsed(f"{self._name} was called, but its package is stubbed on this path")

    def __mro_entries__(self, bases):
        raise StubUsed(f"{self._name} was subclassed, but its package is stubbed on this path")

    def __getitem__(self, item):  # typing use such as Stub[...] in annotations
        return self

    def __or__(self, other):  # annotations such as `Stub | None`
        return self

    __ror__ = __or__

    def __repr__(self):
        return f"<stub {self._name}>"


def _identity_decorator(target):
    return target


class _StubModule(types.ModuleType):
    # Dotted names used only as decorators at import time (e.g. areal's `@ray.remote class
    # DistributedKVStore`): they leave the decorated object as it is, so it still cannot
    # run as what the decorator would have made of it (a ray actor is never started).
    decorators: frozenset = frozenset()

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if f"{self.__name__}.{attr}" in self.decorators:
            return _identity_decorator
        return Unused(f"{self.__name__}.{attr}")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots):
        self.roots = frozenset(roots)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.roots:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install(roots, decorators=()):
    """Stubs every module under `roots` (top-level names); `decorators` names attributes
    used only to decorate at import time. Call before importing a client."""
    _StubModule.decorators = frozenset(decorators)
    for root in roots:
        for name in [n for n in sys.modules if n == root or n.startswith(root + ".")]:
            del sys.modules[name]
    sys.meta_path.insert(0, _StubFinder(roots))

#!/bin/sh
# TEST RIG (sglang-image-patcher integration tests): a no-op stand-in for the NVIDIA
# Container Toolkit's prestart hook. It reads the container state runc passes on stdin and
# does nothing, so a container that asks for GPUs starts without any.
cat >/dev/null
exit 0

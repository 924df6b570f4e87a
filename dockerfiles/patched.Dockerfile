# Patched SGLang image: the base image plus ONE small layer holding the patched files, their
# byte-compiled .pyc, a record of what was applied (/opt/sglang-image-patcher/applied.json,
# with each patch's sha256) and the verify suite (/opt/sglang-image-patcher/verify). The patch
# files themselves stay out of the image (they would double the layer); the labels and
# applied.json identify them.
#
# Build context (assembled deterministically by src/build-context.ts):
#   patched.Dockerfile, apply_patchset.py, patchset/{patchset.json,*.patch}, verify/
# Labels (org.opencontainers.image.* and the patch set's name and per-patch sha256) are set
# through the build API by the orchestrator so their number can follow the patch set.
#
# Works with the classic builder (Docker Engine API 1.41, no BuildKit session needed).

ARG BASE_IMAGE

# Stage 1: check the version, apply every patch in memory (nothing is written unless all
# apply), and stage the results with each file's owner and mode from the base. Needs only the
# base's python3: no git, no patch(1).
FROM ${BASE_IMAGE} AS patched
# Root reads every file and sets any owner in the overlay; a base that ends with a non-root
# USER keeps it for the final image (stage 2 does not change the user).
USER root
COPY apply_patchset.py /tmp/sglang-image-patcher/apply_patchset.py
COPY patchset/ /tmp/sglang-image-patcher/patchset/
RUN python3 -u /tmp/sglang-image-patcher/apply_patchset.py \
      --plan /tmp/sglang-image-patcher/patchset/patchset.json \
      --patch-dir /tmp/sglang-image-patcher/patchset \
      --overlay /tmp/sglang-image-patcher/overlay
# After the RUN, so a change in verify/ reuses the cached patching step.
COPY verify/ /tmp/sglang-image-patcher/overlay/opt/sglang-image-patcher/verify/

# Stage 2: the base again, plus the staged files as a single layer. Copying only what changed
# (instead of committing stage 1) keeps the added layer a few KiB. COPY --from keeps the
# owners and modes the overlay was given (without --chown), so a file owned by the image's
# user stays that user's.
FROM ${BASE_IMAGE}
COPY --from=patched /tmp/sglang-image-patcher/overlay/ /

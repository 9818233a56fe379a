# syntax=docker/dockerfile:1
# The extproc-dlp server image, as istio/deployment.yaml runs it:
#
#   docker build -t extproc-dlp:0.1.0 .          # tag: the version in pyproject.toml
#   docker run --rm -p 50051:50051 extproc-dlp:0.1.0
#
# Two stages: the first installs the project and its dependencies into a
# virtualenv (every dependency ships a manylinux wheel, so no compiler is
# needed), the second copies only that virtualenv onto a clean base image:
# no build tools, no source tree, no pip cache in what runs.

# Pinned by version; bump deliberately (and rebuild for base image fixes).
ARG PYTHON_VERSION=3.12.11
ARG DEBIAN_RELEASE=bookworm

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/extproc
WORKDIR /src
COPY pyproject.toml README.md ./
COPY extproc ./extproc
RUN /opt/extproc/bin/pip install . \
    && /opt/extproc/bin/pip uninstall --yes pip

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}
LABEL org.opencontainers.image.title="extproc-dlp" \
      org.opencontainers.image.description="Data-loss-prevention filter for LLM traffic: an Envoy ext_proc gRPC service" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/extproc /opt/extproc
# The shipped default policy, so the image also runs on its own; in Kubernetes
# the ConfigMap is mounted over this directory.
COPY policies/default.yaml /etc/extproc/policies/default.yaml
ENV PATH=/opt/extproc/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXTPROC_LISTEN=0.0.0.0:50051 \
    EXTPROC_POLICY=/etc/extproc/policies
# Numeric, so Kubernetes can check runAsNonRoot against it.
USER 10001:10001
EXPOSE 50051
ENTRYPOINT ["extproc", "serve"]

# kvcache in a container: JupyterLab with the GoNB kernel on notebooks/kvcache.ipynb.
#
#   docker build -t kvcache .
#   docker run -p 8888:8888 kvcache      # then open the http://127.0.0.1:8888/lab?token=... URL it prints
#
# Not built in CI (the CI machines have no Docker engine); see README's developer notes.
#
# The base image is pinned by the digest of its multi-platform index, as the official images'
# record lists it: docker-library/repo-info, repos/golang/remote/1.26.8-bookworm.md (commit
# 38e7883912edc671ee8fe31e16390d28e3ec2e78). The tag is kept for reading; the digest decides.
ARG GO_IMAGE=golang:1.26.8-bookworm@sha256:f4191582e1522dfc5980a6bdc0309a756f9697f3e7d0f199c7e26fc82ab324fd

# Stage 1: the chart library from npm (Debian's npm on the same pinned base), so the final
# image needs no Node.js.
FROM ${GO_IMAGE} AS assets
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /assets
COPY widgets/assets/package.json widgets/assets/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# Stage 2: Go (GoNB compiles every cell, so the toolchain stays), Python for JupyterLab.
FROM ${GO_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv make \
 && rm -rf /var/lib/apt/lists/*

# JupyterLab and every cell's code run as an ordinary user, not root.
RUN useradd --create-home --uid 1000 --shell /bin/bash kvcache \
 && mkdir /kvcache && chown kvcache:kvcache /kvcache
USER kvcache
WORKDIR /kvcache
# Dependencies first, so source edits do not invalidate these layers.
COPY --chown=kvcache:kvcache go.mod go.sum ./
RUN go mod download
COPY --chown=kvcache:kvcache requirements.txt ./
RUN python3 -m venv .build/venv \
 && .build/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check -r requirements.txt \
 && touch .build/venv/.installed

COPY --chown=kvcache:kvcache . .
COPY --from=assets --chown=kvcache:kvcache /assets/node_modules/echarts/dist/echarts.min.js widgets/assets/dist/echarts.min.js
# Go tools, the kernel spec and the Kvcache_html exporter (make skips the venv's
# requirements and the assets, already in place).
RUN touch .build/venv/.installed widgets/assets/dist/echarts.min.js \
 && make tools kernel venv \
 && go build ./...

EXPOSE 8888
# Healthy once the Jupyter server answers its version endpoint (no token needed for it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8888/api || exit 1
CMD ["make", "lab", "LAB_ARGS=--ip=0.0.0.0 --port=8888 --no-browser"]

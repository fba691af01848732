# kvcache in a container: JupyterLab with the GoNB kernel on notebooks/kvcache.ipynb.
#
#   docker build -t kvcache .
#   docker run -p 8888:8888 kvcache      # then open the http://127.0.0.1:8888/lab?token=... URL it prints
#
# Not built in CI (the CI machines have no Docker engine); see README's developer notes.

# Stage 1: the chart library from npm, so the final image needs no Node.js.
FROM node:20.19.2-bookworm-slim AS assets
WORKDIR /assets
COPY widgets/assets/package.json widgets/assets/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# Stage 2: Go (GoNB compiles every cell, so the toolchain stays), Python for JupyterLab.
FROM golang:1.26.8-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv make \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /kvcache
# Dependencies first, so source edits do not invalidate these layers.
COPY go.mod go.sum ./
RUN go mod download
COPY requirements.txt ./
RUN python3 -m venv .build/venv \
 && .build/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check -r requirements.txt \
 && touch .build/venv/.installed

COPY . .
COPY --from=assets /assets/node_modules/echarts/dist/echarts.min.js widgets/assets/dist/echarts.min.js
# Go tools and the kernel spec (make skips the venv and assets, already in place).
RUN touch .build/venv/.installed widgets/assets/dist/echarts.min.js \
 && make tools kernel \
 && go build ./...

EXPOSE 8888
CMD ["make", "lab", "LAB_ARGS=--ip=0.0.0.0 --port=8888 --no-browser --allow-root"]

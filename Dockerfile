# syntax=docker/dockerfile:1
# yishi 议事 — a static binary in a distroless image, running as a non-root
# user, its data in the volume /data. Build and run (README "Running it for
# real"):
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse HEAD) -t yishi .
#   docker run -d --name yishi -v yishi-data:/data -v "$PWD/communities:/config:ro" \
#              -e YISHI_CONFIG=/config -e YISHI_TELEGRAM_TOKEN -p 127.0.0.1:8080:8080 yishi

# --- build stage -----------------------------------------------------------
# Any Go >= 1.21 image will do: GOTOOLCHAIN makes it fetch the approved
# toolchain go1.27.3 (go.mod requires it) through the module proxy.
FROM golang:1.26-bookworm AS build
ENV GOTOOLCHAIN=go1.27.3 \
    CGO_ENABLED=0 \
    GOFLAGS=-trimpath
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod \
    go mod download && go version
COPY . .
# .git is not in the build context (.dockerignore): the version and commit
# come in as build arguments for `yishi version`.
ARG VERSION=""
ARG COMMIT=""
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X main.buildVersion=${VERSION} -X main.buildCommit=${COMMIT}" \
        -o /out/yishi ./cmd/yishi \
 && /out/yishi version \
 && mkdir -p /out/data

# --- run stage -------------------------------------------------------------
# distroless/static: CA certificates (api.telegram.org), /etc/passwd with
# the user nonroot (65532), no shell. The zone database is in the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/yishi /usr/local/bin/yishi
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV YISHI_DATA=/data
VOLUME ["/data"]
EXPOSE 8080
# Telegram needs YISHI_TELEGRAM_TOKEN; WeChat: add --wechat and read the QR
# code with `docker logs` (interactive console: docker run -it … run).
ENTRYPOINT ["/usr/local/bin/yishi"]
CMD ["run", "--console=false", "--http", ":8080", "--log-format", "json"]

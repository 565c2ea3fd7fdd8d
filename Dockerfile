# yishi 议事 — a static binary on a minimal base, run as a non-root user,
# with its data in a volume.
#   docker build -t yishi .
#   docker run -it -v yishi-data:/data yishi                       # console, sample village
#   docker run -d -v yishi-data:/data -v ./config:/config:ro -p 8080:8080 \
#     -e YISHI_TELEGRAM_TOKEN=… yishi run --console=false --config /config --http :8080
FROM golang:1.26-bookworm AS build
# go.mod needs go1.27.3: the go command fetches that toolchain through the
# module proxy (set GOPROXY if yours differs).
ENV GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/yishi ./cmd/yishi

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/yishi /usr/local/bin/yishi
# Badger's files and the WeChat session live here: mount a volume.
VOLUME ["/data"]
ENV YISHI_DATA=/data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/yishi"]
CMD ["run"]

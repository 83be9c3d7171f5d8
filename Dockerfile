# kubeharden image: the webhook server (`kubeharden serve`) and the scanner.
#
# Two stages: Debian 12 builds the binary with the packages scripts/deps.sh
# installs for a build (no test tools), then only the binary and the shared
# libraries it links (found with ldd) are copied onto distroless base, which
# has glibc, CA certificates and a nonroot user (65532) but no shell and no
# package manager. See docs/deploy.md; push it and pin the digest in
# deploy/kustomization.yaml.
#
#   docker build -t REGISTRY/kubeharden:VERSION .
#
# Pin the base images by digest too for a reproducible build, e.g.
#   --build-arg BUILD_IMAGE=debian:12@sha256:... --build-arg RUNTIME_IMAGE=...@sha256:...
ARG BUILD_IMAGE=debian:12
ARG RUNTIME_IMAGE=gcr.io/distroless/base-nossl-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake gcc libc6-dev libgnutls28-dev libmicrohttpd-dev libyaml-dev make pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
COPY bench bench
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build --target kubeharden -j"$(nproc)" \
 && /build/kubeharden version
# The runtime libraries the binary links, minus glibc (the runtime image has
# its own, and mixing two glibc builds breaks the loader). They go to
# /usr/lib/<multiarch>, which Debian's loader searches whether or not /lib
# is a symlink to it in the runtime image.
RUN libdir=/rootfs/usr/lib/"$(gcc -print-multiarch)" \
 && mkdir -p /rootfs/usr/local/bin "$libdir" \
 && cp /build/kubeharden /rootfs/usr/local/bin/kubeharden \
 && ldd /build/kubeharden | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' \
    | grep -Ev '/(ld-linux[^/]*|libc|libm|libpthread|libdl|librt|libresolv)\.so' \
    | xargs -r cp -L -t "$libdir"

FROM ${RUNTIME_IMAGE}
COPY --from=build /rootfs/ /
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/kubeharden"]
CMD ["serve"]

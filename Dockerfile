# Builds oee on Debian 12 with the same packages `make deps` installs.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends make ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the programs the image ships (the CMake target `programs`), not the tests.
RUN apt-get update && make build-programs && rm -rf /var/lib/apt/lists/*

FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends \
      librocksdb7.8 libboost-json1.81.0 libboost-url1.81.0 libspdlog1.10 libfmt9 libhiredis0.14 libpqxx-6.4 libnats3.4 libssl3 curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/oee-server /src/build/bin/oee-watch /src/build/bin/oee-logdump \
     /src/build/bin/oee-projector /src/build/bin/oee-loadgen /usr/local/bin/
EXPOSE 3000 3001
ENTRYPOINT []
# Every interface: give OEE_ADMIN_KEY (docs/security.md), or it refuses to start.
CMD ["oee-server", "--bind", "0.0.0.0"]

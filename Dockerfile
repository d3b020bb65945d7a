# eip-broker: build with the Swift toolchain, run on a slim image.
#   docker build -t eip-broker .
#   docker run -p 8080:8080 -e EIPBROKER_HOST=0.0.0.0 -e EIPBROKER_DATABASE_URL=postgres://... eip-broker
FROM swift:6.2-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY api ./api
RUN swift build -c release --product eip-broker --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/eip-broker" /eip-broker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libcurl4 libxml2 tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 --home /var/lib/eip-broker --create-home broker
COPY --from=build /eip-broker /usr/local/bin/eip-broker
USER broker
WORKDIR /var/lib/eip-broker
ENV EIPBROKER_HOST=0.0.0.0 EIPBROKER_PORT=8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/eip-broker"]
CMD ["serve"]

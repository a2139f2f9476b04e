# Builds every ThinkLite package. The node's entrypoint (`thinklite start`) joins this image with the
# server issue; until then the image holds the built libraries.
FROM node:20-bookworm-slim AS build
WORKDIR /thinklite
COPY package.json package-lock.json tsconfig*.json ./
COPY packages ./packages
COPY proto ./proto
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /thinklite
COPY --from=build /thinklite /thinklite
USER node

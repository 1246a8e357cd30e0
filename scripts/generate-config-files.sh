#!/usr/bin/env bash
# Rewrites the files generated from the config's key descriptions (src/ImmichAutoTag.Config/Internal/ConfigKeys.cs):
# rules/config.schema.json, rules/config.example.yaml and docs/config-reference.md. Run it after changing a key;
# the test ConfigShapeTests fails while a committed copy differs from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."
IMMICH_AUTOTAG_WRITE_GENERATED=1 dotnet test tests/ImmichAutoTag.Tests -c Release \
  --filter "FullyQualifiedName~ConfigShapeTests.Generated_files_match_the_key_descriptions"
git status --short rules docs

#!/usr/bin/env bash
# Refreshes the GOV.UK Frontend files the pages use, from the npm registry, at the pinned
# version. Run it from anywhere; commit what it changes.
#   web/refresh-govuk-frontend.sh            # the pinned version below
#   web/refresh-govuk-frontend.sh 6.7.0      # another version (then pin it here)
set -euo pipefail
version="${1:-6.6.0}"
axe_version="4.14.1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

npm pack --silent "govuk-frontend@$version" >/dev/null
tar xzf "govuk-frontend-$version.tgz"
dist=package/dist/govuk
out="$here/static/govuk"
rm -rf "$out"
mkdir -p "$out"
cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" "$out/"
cp -R "$dist/assets/fonts" "$dist/assets/images" "$out/"
cat > "$out/LICENSE" <<LICENSE
GOV.UK Frontend $version, from the npm package govuk-frontend
(https://github.com/alphagov/govuk-frontend), under the MIT License:

The MIT License (MIT)

Copyright (C) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

The GDS Transport font files (fonts/) are for GOV.UK services; a service on another domain
should remove them, and the pages fall back to Arial.
LICENSE
echo "$version" > "$out/VERSION"

# axe-core, for the accessibility checks of the browser tests (not served to users).
npm pack --silent "axe-core@$axe_version" >/dev/null
tar xzf "axe-core-$axe_version.tgz" -C "$tmp" --one-top-level=axe
axe_out="$here/../internal/webtest/axe"
mkdir -p "$axe_out"
cp axe/package/axe.min.js "$axe_out/axe.min.js"
cp axe/package/LICENSE "$axe_out/LICENSE"
echo "$axe_version" > "$axe_out/VERSION"
echo "GOV.UK Frontend $version in $out; axe-core $axe_version in $axe_out"

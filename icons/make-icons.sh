#!/usr/bin/env bash
# Regenerates the app icons (RGBA PNG, as Tauri requires) with ImageMagick 6:
# a shield with a check mark on a rounded blue square.
set -euo pipefail
cd "$(dirname "$0")"
convert -size 512x512 gradient:'#2b5296'-'#101d36' \
  \( -size 512x512 xc:none -fill white -draw "roundrectangle 24,24 487,487 108,108" \) \
  -alpha set -compose DstIn -composite -compose Over \
  -fill '#e9f1ff' -draw "path 'M 256 84 L 392 134 L 392 252 C 392 336 334 398 256 432 C 178 398 120 336 120 252 L 120 134 Z'" \
  -fill '#4f8ff0' -draw "path 'M 256 116 L 362 155 L 362 252 C 362 318 318 368 256 398 C 194 368 150 318 150 252 L 150 155 Z'" \
  -stroke white -strokewidth 30 -fill none \
  -draw "stroke-linecap round stroke-linejoin round polyline 198,262 240,304 318,220" \
  PNG32:icon.png
convert icon.png -resize 256x256 PNG32:256x256.png
convert icon.png -resize 128x128 PNG32:128x128.png
for size in 16 24 32 48 64; do
  convert icon.png -resize ${size}x${size} PNG32:${size}x${size}.png
done

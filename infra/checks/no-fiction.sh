#!/usr/bin/env bash
# Endpoints and headers from tutorials that Genesys Cloud does not have (API-FACTS §8).
set -euo pipefail
cd "$(dirname "$0")/../.."
# (Quoted in pieces so that this file does not match itself.)
pattern='oauth/tokens/revo''ke|/api/v2/oauth/ses''sions|oauth2/intro''spect|oauth/clients/[^"/ ]+/sec''rets|api\.mypurecloud\.com/oauth/to''ken|X-Rate-''Limit-'
# git grep: 0 found, 1 none, anything else is its own failure.
status=0
git grep -n -I -E "$pattern" -- ':!*.md' || status=$?
case $status in
  0) echo "lint: code names an endpoint or header Genesys does not have (see API-FACTS §8)" >&2; exit 1 ;;
  1) echo "lint: no fictional Genesys endpoints" ;;
  *) echo "lint: git grep failed ($status)" >&2; exit "$status" ;;
esac

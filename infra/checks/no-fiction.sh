#!/usr/bin/env bash
# Endpoints and headers from tutorials that Genesys Cloud does not have (API-FACTS §8).
set -euo pipefail
cd "$(dirname "$0")/../.."
pattern='oauth/tokens/revoke|/api/v2/oauth/sessions|oauth2/introspect|oauth/clients/[^"/ ]+/secrets|api\.mypurecloud\.com/oauth/token|X-Rate-Limit-'
if git grep -n -I -E "$pattern" -- ':!*.md' ':!infra/checks/no-fiction.sh' ':!tests/genesys-sim/tests/*'; then
  echo "lint: code names an endpoint or header Genesys does not have (see API-FACTS §8)" >&2
  exit 1
fi
echo "lint: no fictional Genesys endpoints"

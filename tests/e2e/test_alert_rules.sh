#!/usr/bin/env bash
# deploy/alerts.yml: valid Prometheus rules, and each alert fires (or stays quiet) as its
# unit tests in deploy/alerts_test.yml say, checked by Debian's promtool.
source "$(dirname "$0")/lib.sh"

cp "$MATERIA_SOURCE_DIR/deploy/alerts.yml" "$MATERIA_SOURCE_DIR/deploy/alerts_test.yml" .
set +e
OUT=$(promtool check rules alerts.yml 2>&1); CODE=$?
set -e
expect_code 0 "promtool check rules"
expect_out "SUCCESS: 4 rules found" "four rules"
set +e
OUT=$(promtool test rules alerts_test.yml 2>&1); CODE=$?
set -e
expect_code 0 "the alerts fire as their tests say"
finish

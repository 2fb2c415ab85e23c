#!/bin/sh
# The engine's config needs its join token and the CA pin, which exist only after the proxies
# run: they come in as env vars and are written into a private copy of engine.yaml.in.
set -eu
umask 077
sed -e "s/@ENGINE_NAME@/${ENGINE_NAME}/" -e "s/@JOIN_TOKEN@/${JOIN_TOKEN}/" -e "s/@CA_PIN@/${CA_PIN}/" \
  /etc/gatehouse/engine.yaml.in > /var/lib/gatehouse/engine.yaml
exec gatehouse start --config /var/lib/gatehouse/engine.yaml

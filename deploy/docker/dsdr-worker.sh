#!/bin/sh
# Entry point of the dsdr-worker image: runs Dsdr.Silo with the given arguments. Without --node, the node is
# named after the container's host name, so replicas started from one definition (compose) get distinct slots.
set -eu
case " $* " in
  *" --node "*) exec dotnet /app/Dsdr.Silo.dll "$@" ;;
  *) exec dotnet /app/Dsdr.Silo.dll --node "$(hostname)" "$@" ;;
esac

"""Renderers: folders whose files are not manifests until a tool renders them (Helm charts,
kustomizations). Each runs its tool as a bounded subprocess (a timeout, errors naming the folder)
and hands back plain YAML text for the one reader."""

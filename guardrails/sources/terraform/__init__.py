"""Terraform: plan JSON -> Resources (`plan`), and `kubernetes_*` resources in the Kubernetes shape (`kubernetes`)."""

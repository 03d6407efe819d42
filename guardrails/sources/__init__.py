"""Everything that reads bytes: paths, YAML/JSON documents, Terraform plans, AdmissionReviews."""

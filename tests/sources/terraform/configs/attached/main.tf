# Settings kept in resources of their own (flow logs, bucket logging), tied to their subject by
# reference, by instance key, by value, and inline; generated into attached.plan.json by
# generate.py with the real AWS provider.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "placeholder"
  secret_key                  = "placeholder"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_vpc" "logged" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_flow_log" "logged" {
  vpc_id               = aws_vpc.logged.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::flow-logs-example"
}

resource "aws_vpc" "plain" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_vpc" "zones" {
  count      = 2
  cidr_block = "10.${count.index + 2}.0.0/16"
}

resource "aws_flow_log" "zones" {
  count                = 2
  vpc_id               = aws_vpc.zones[count.index].id
  traffic_type         = "REJECT"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::flow-logs-example"
}

resource "aws_vpc" "first_only" {
  count      = 2
  cidr_block = "10.${count.index + 4}.0.0/16"
}

resource "aws_flow_log" "first_only" {
  vpc_id               = aws_vpc.first_only[0].id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::flow-logs-example"
}

module "net" {
  source = "./modules/net"
}

resource "aws_s3_bucket" "inline" {
  bucket = "inline-logged-example"
  logging {
    target_bucket = "access-logs-example"
    target_prefix = "inline/"
  }
}

resource "aws_s3_bucket" "by_reference" {
  bucket = "by-reference-example"
}

resource "aws_s3_bucket_logging" "by_reference" {
  bucket        = aws_s3_bucket.by_reference.id
  target_bucket = "access-logs-example"
  target_prefix = "by-reference/"
}

resource "aws_s3_bucket" "by_name" {
  bucket = "by-name-example"
}

resource "aws_s3_bucket_logging" "by_name" {
  bucket        = "by-name-example"
  target_bucket = "access-logs-example"
  target_prefix = "by-name/"
}

resource "aws_s3_bucket" "plain" {
  bucket = "plain-example"
}

resource "aws_s3_bucket_logging" "elsewhere" {
  bucket        = "a-bucket-of-another-configuration"
  target_bucket = "access-logs-example"
  target_prefix = "elsewhere/"
}

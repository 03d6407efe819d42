# A flow log whose VPC arrives through a module input: known only after apply, it may belong
# to any VPC of the plan, so none is reported as missing its flow logs.
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

resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "b" {
  cidr_block = "10.1.0.0/16"
}

module "logs" {
  source = "./modules/logs"
  vpc_id = aws_vpc.a.id
}

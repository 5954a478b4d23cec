"""The stack as data: the typed stack config (config/), every physical name (naming), and the one
pricing of a stack config (pricing). No pulumi_aws, no boto3: the program, the tools and the
reports read the stack through here."""

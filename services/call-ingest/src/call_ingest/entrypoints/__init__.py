"""HTTP entrypoints: provider webhooks translated into domain inputs."""

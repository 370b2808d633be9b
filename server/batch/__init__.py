"""The 2024 draft's batch job APIs: batch inference, batch reward scoring and synthetic
data generation, on the job framework (server/jobs/)."""

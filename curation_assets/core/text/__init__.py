"""Text measures and repairs shared by every stage: one home each."""

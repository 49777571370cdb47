"""The HTTP edge shared by every HTTP target: reading bodies, answering errors, logging."""

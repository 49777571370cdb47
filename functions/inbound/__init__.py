"""sms_webhook: texts citizens send to the city's SMS number, and delivery receipts of the texts we sent."""

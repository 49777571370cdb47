"""CloudEvent target send_sms_notification: SMS to citizens about their submissions."""

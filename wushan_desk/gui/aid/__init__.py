"""学生资助 screens: standards and calendar, hardship recognitions."""

//! Integration tests: mails sent through `Mailer` to a real SMTP server (`testing::SmtpSink`)
//! or to the outbox folder, and read back.

mod outbox;
mod smtp;

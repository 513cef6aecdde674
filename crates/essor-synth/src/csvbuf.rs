//! Writing CSV fields straight into a byte buffer, as INSEE writes them: `,` separator, a field
//! quoted only when it holds a comma, a double quote or a line break, quotes doubled inside,
//! `\` an ordinary character. Every writer appends the field and its separator; [`end_row`]
//! turns the last separator into the line end.

/// The mask INSEE writes in place of a value that may not be published.
pub(crate) const ND: &[u8] = b"[ND]";

#[inline]
pub(crate) fn empty(buf: &mut Vec<u8>) {
    buf.push(b',');
}

/// A field known to need no quoting (codes, numbers, dates).
#[inline]
pub(crate) fn raw(buf: &mut Vec<u8>, value: &[u8]) {
    buf.extend_from_slice(value);
    buf.push(b',');
}

/// A free-text field, quoted when it must be.
#[inline]
pub(crate) fn text(buf: &mut Vec<u8>, value: &[u8]) {
    if value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        buf.push(b'"');
        for &b in value {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(value);
    }
    buf.push(b',');
}

/// `value` or the mask, or an empty field when there is no value.
#[inline]
pub(crate) fn masked(buf: &mut Vec<u8>, value: Option<&[u8]>, mask: bool) {
    match value {
        None => empty(buf),
        Some(_) if mask => raw(buf, ND),
        Some(v) => text(buf, v),
    }
}

/// An unsigned integer in decimal.
#[inline]
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + digit(value % 10);
        value /= 10;
        if value == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// `value` on `width` digits, zero-padded.
#[inline]
pub(crate) fn push_padded(buf: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = buf.len();
    buf.resize(start + width, b'0');
    for slot in buf[start..].iter_mut().rev() {
        *slot = b'0' + digit(value % 10);
        value /= 10;
    }
}

/// `00` to `99`.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `value` (below 100) on two digits.
#[inline]
#[allow(clippy::cast_possible_truncation, reason = "a value below 100")]
pub(crate) fn push2(buf: &mut Vec<u8>, value: u64) {
    let i = (value % 100) as usize * 2;
    buf.extend_from_slice(&PAIRS[i..i + 2]);
}

#[inline]
#[allow(clippy::cast_possible_truncation, reason = "a value below 10")]
pub(crate) fn digit(value: u64) -> u8 {
    value as u8
}

/// Turns the separator after the last field into the line end.
#[inline]
pub(crate) fn end_row(buf: &mut [u8]) {
    if let Some(last) = buf.last_mut() {
        *last = b'\n';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut buf = Vec::new();
        text(&mut buf, b"PLAIN \\ NAME");
        text(&mut buf, br#"ASSOCIATION "LES AMIS, DU \ QUARTIER""#);
        text(&mut buf, b"A\\, B");
        empty(&mut buf);
        masked(&mut buf, Some(b"x"), true);
        end_row(&mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "PLAIN \\ NAME,\"ASSOCIATION \"\"LES AMIS, DU \\ QUARTIER\"\"\",\"A\\, B\",,[ND]\n"
        );
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut buf = Vec::new();
        push_u64(&mut buf, 0);
        buf.push(b' ');
        push_u64(&mut buf, 1_234_567);
        buf.push(b' ');
        push_padded(&mut buf, 42, 5);
        buf.push(b' ');
        push2(&mut buf, 7);
        push2(&mut buf, 59);
        assert_eq!(buf, b"0 1234567 00042 0759");
    }
}

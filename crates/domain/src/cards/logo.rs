//! Logo uploads: the type is read from the bytes (not the file name), the
//! size and pixel count are limited before decoding, and the stored image
//! is always a PNG of at most 256×256 pixels, so a card never serves what
//! was uploaded.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use kernel::{DomainError, DomainResult};

use super::model::Logo;

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// Longest side of the stored logo.
pub const LOGO_SIZE: u32 = 256;

/// Checks and resizes an uploaded logo (PNG, JPEG, WebP or GIF).
pub fn process(bytes: &[u8]) -> DomainResult<Logo> {
    if bytes.is_empty() {
        return Err(DomainError::validation("logo", "required"));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(DomainError::validation_with(
            "logo",
            "file_too_large",
            vec![("max", "2 MB".to_string())],
        ));
    }
    let format = image::guess_format(bytes).map_err(|_| DomainError::validation("logo", "image_type"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(DomainError::validation("logo", "image_type"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(8000);
    limits.max_image_height = Some(8000);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|_| DomainError::validation("logo", "image_broken"))?;
    let img = if img.width() > LOGO_SIZE || img.height() > LOGO_SIZE {
        img.thumbnail(LOGO_SIZE, LOGO_SIZE)
    } else {
        img
    };
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(DomainError::internal)?;
    Ok(Logo(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn large_logos_are_shrunk_to_png() {
        let logo = process(&png(1024, 512)).unwrap();
        let back = image::load_from_memory(&logo.0).unwrap();
        assert_eq!((back.width(), back.height()), (256, 128));
        assert_eq!(image::guess_format(&logo.0).unwrap(), ImageFormat::Png);
    }

    #[test]
    fn other_files_are_refused() {
        let code = |b: &[u8]| process(b).unwrap_err().field_errors()[0].code;
        assert_eq!(code(b"%PDF-1.4 not an image"), "image_type");
        assert_eq!(code(b""), "required");
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(code(&broken), "image_broken");
        assert_eq!(code(&vec![0u8; MAX_UPLOAD_BYTES + 1]), "file_too_large");
    }
}

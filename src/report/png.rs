//! A minimal PNG codec for 8-bit RGB images: the chart rasters are encoded
//! here (zlib via flate2, which the crate already has) rather than through
//! the `png`/`image` crates, whose feature set would rebuild polars' own
//! compression dependencies (and whose encoder would change every chart's
//! bytes). The decoder, compiled for tests only, reads back what the encoder
//! writes (any filter type, CRC-checked).

use std::io::Write;

use anyhow::{Result, ensure};
use flate2::Compression;
use flate2::write::ZlibEncoder;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Encode `rgb` (row-major, 3 bytes per pixel) as a PNG file.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>> {
    let stride = width as usize * 3;
    ensure!(rgb.len() == stride * height as usize, "RGB buffer size");
    let mut raw = Vec::with_capacity((stride + 1) * height as usize);
    let mut previous = vec![0u8; stride];
    for row in rgb.chunks(stride) {
        // Filter "Up" (2): charts are mostly flat colour, so rows repeat.
        raw.push(2);
        raw.extend(row.iter().zip(&previous).map(|(a, b)| a.wrapping_sub(*b)));
        previous.copy_from_slice(row);
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(&raw)?;
    let idat = z.finish()?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit, truecolour, deflate, adaptive filter, no interlace
    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(kind);
    out.extend(data);
    out.extend(crc(kind, data).to_be_bytes());
}

fn crc(kind: &[u8], data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    crc.sum()
}

/// Decoding, for tests: what the encoder wrote, pixel for pixel.
#[cfg(test)]
pub mod decoder {
    use std::io::Read;

    use anyhow::{Context, Result, bail, ensure};
    use flate2::read::ZlibDecoder;

    use super::{SIGNATURE, crc};

    /// A decoded RGB image.
    #[derive(Debug)]
    pub struct RgbImage {
        pub width: u32,
        pub height: u32,
        pub pixels: Vec<u8>,
    }

    /// Decode an 8-bit RGB, non-interlaced PNG (checks signature and CRCs).
    pub fn decode_rgb(png: &[u8]) -> Result<RgbImage> {
        ensure!(png.starts_with(&SIGNATURE), "not a PNG file");
        let (mut pos, mut header, mut idat) = (8, None, Vec::new());
        while pos + 12 <= png.len() {
            let len = u32::from_be_bytes(png[pos..pos + 4].try_into()?) as usize;
            let kind = &png[pos + 4..pos + 8];
            let data = png.get(pos + 8..pos + 8 + len).context("truncated chunk")?;
            let stored = u32::from_be_bytes(png[pos + 8 + len..pos + 12 + len].try_into()?);
            ensure!(
                stored == crc(kind, data),
                "bad CRC in {:?}",
                String::from_utf8_lossy(kind)
            );
            match kind {
                b"IHDR" => header = Some(data.to_vec()),
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            pos += 12 + len;
        }
        let header = header.context("no IHDR chunk")?;
        let width = u32::from_be_bytes(header[0..4].try_into()?);
        let height = u32::from_be_bytes(header[4..8].try_into()?);
        ensure!(
            header[8..13] == [8, 2, 0, 0, 0],
            "only 8-bit RGB, non-interlaced"
        );
        let mut raw = Vec::new();
        ZlibDecoder::new(&idat[..]).read_to_end(&mut raw)?;
        let pixels = unfilter(&raw, width as usize * 3, height as usize)?;
        Ok(RgbImage {
            width,
            height,
            pixels,
        })
    }

    fn unfilter(raw: &[u8], stride: usize, height: usize) -> Result<Vec<u8>> {
        ensure!(raw.len() == (stride + 1) * height, "image data size");
        let mut out = vec![0u8; stride * height];
        for y in 0..height {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= 3 { out[y * stride + x - 3] } else { 0 };
                let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 };
                let c = if x >= 3 && y > 0 {
                    out[(y - 1) * stride + x - 3]
                } else {
                    0
                };
                let predictor = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((a as u16 + b as u16) / 2) as u8,
                    4 => paeth(a, b, c),
                    f => bail!("unknown PNG filter type {f}"),
                };
                out[y * stride + x] = line[x].wrapping_add(predictor);
            }
        }
        Ok(out)
    }

    fn paeth(a: u8, b: u8, c: u8) -> u8 {
        let p = a as i16 + b as i16 - c as i16;
        let (pa, pb, pc) = (
            (p - a as i16).abs(),
            (p - b as i16).abs(),
            (p - c as i16).abs(),
        );
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decoder::decode_rgb;
    use super::*;

    #[test]
    fn round_trips_pixels() {
        let (w, h) = (5u32, 4u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let png = encode_rgb(w, h, &rgb).unwrap();
        let back = decode_rgb(&png).unwrap();
        assert_eq!((back.width, back.height), (w, h));
        assert_eq!(back.pixels, rgb);
    }

    #[test]
    fn a_flipped_byte_fails_the_crc() {
        let mut png = encode_rgb(2, 2, &[7u8; 12]).unwrap();
        png[20] ^= 1; // inside IHDR's data
        assert!(
            decode_rgb(&png)
                .unwrap_err()
                .to_string()
                .contains("bad CRC")
        );
    }
}

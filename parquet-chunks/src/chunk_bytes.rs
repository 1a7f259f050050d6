//! Encoded column chunks held in memory, in blocks, until their row group
//! is appended to a file.

use bytes::Bytes;
use parquet::errors::{ParquetError, Result};

/// An encoded column chunk held in blocks of 64 KiB
/// until its row group is appended: one contiguous buffer per chunk (megabytes
/// for the id columns) fragments the allocator's heap and raised peak memory by
/// a sixth.
#[derive(Clone, Debug, Default)]
pub struct ChunkBytes {
    blocks: Vec<Bytes>,
    current: Vec<u8>,
    len: u64,
}

impl ChunkBytes {
    const BLOCK: usize = 64 * 1024;

    /// Seals the last block.
    pub fn finish(mut self) -> Self {
        if !self.current.is_empty() {
            let mut last = std::mem::take(&mut self.current);
            last.shrink_to_fit();
            self.blocks.push(Bytes::from(last));
        }
        self
    }
}

impl std::io::Write for ChunkBytes {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let written = buf.len();
        while !buf.is_empty() {
            if self.current.capacity() == 0 {
                self.current = Vec::with_capacity(Self::BLOCK);
            }
            let n = (Self::BLOCK - self.current.len()).min(buf.len());
            self.current.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if self.current.len() == Self::BLOCK {
                self.blocks.push(Bytes::from(std::mem::take(&mut self.current)));
            }
        }
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl parquet::file::reader::Length for ChunkBytes {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for ChunkBytes {
    type T = BlocksRead;

    fn get_read(&self, start: u64) -> Result<BlocksRead> {
        let mut skip = start as usize;
        let mut blocks = std::collections::VecDeque::with_capacity(self.blocks.len());
        for block in &self.blocks {
            if skip >= block.len() {
                skip -= block.len();
            } else {
                blocks.push_back(block.slice(skip..));
                skip = 0;
            }
        }
        Ok(BlocksRead { blocks })
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let mut out = Vec::with_capacity(length);
        std::io::Read::read_to_end(&mut std::io::Read::take(self.get_read(start)?, length as u64), &mut out)?;
        if out.len() < length {
            return Err(ParquetError::EOF(format!(
                "{length} bytes at {start} past the chunk's end"
            )));
        }
        Ok(out.into())
    }
}

/// Reads a [`ChunkBytes`] from a position.
#[derive(Debug)]
pub struct BlocksRead {
    blocks: std::collections::VecDeque<Bytes>,
}

impl std::io::Read for BlocksRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.blocks.front().is_some_and(Bytes::is_empty) {
            self.blocks.pop_front();
        }
        let Some(block) = self.blocks.front_mut() else {
            return Ok(0);
        };
        let n = block.len().min(buf.len());
        buf[..n].copy_from_slice(&block[..n]);
        bytes::Buf::advance(block, n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_bytes_read_back_across_blocks() {
        use parquet::file::reader::{ChunkReader, Length};
        use std::io::{Read, Write};
        let data: Vec<u8> = (0..3 * ChunkBytes::BLOCK + 1234).map(|i| (i * 7 % 251) as u8).collect();
        let mut chunk = ChunkBytes::default();
        for piece in data.chunks(10_000) {
            chunk.write_all(piece).unwrap();
        }
        let chunk = chunk.finish();
        assert_eq!(chunk.len(), data.len() as u64);
        let start = ChunkBytes::BLOCK - 10;
        let mut rest = Vec::new();
        chunk.get_read(start as u64).unwrap().read_to_end(&mut rest).unwrap();
        assert_eq!(rest, data[start..]);
        let span = chunk.get_bytes(start as u64, ChunkBytes::BLOCK + 20).unwrap();
        assert_eq!(span.as_ref(), &data[start..start + ChunkBytes::BLOCK + 20]);
        assert!(chunk.get_bytes(data.len() as u64 - 5, 10).is_err());
    }
}

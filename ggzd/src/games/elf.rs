//! Reads the libraries an ELF executable asks the dynamic linker for
//! (`DT_NEEDED`), without running it, so that the launch layout of a game
//! server can follow the libggzdmod it was built against
//! (docs/launch-layout.md).
//!
//! Only three structures are read: the ELF header, the program headers
//! (`PT_DYNAMIC` and the `PT_LOAD` segments that map the string table) and
//! the dynamic section. Every offset and count comes from the file, so all
//! arithmetic is checked and every read is bounded; a file that is not a
//! well-formed ELF executable simply yields [`Probe::NotElf`] or
//! [`Probe::Malformed`], never a panic.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// At most this many program headers are looked at (real executables have
/// about a dozen).
const MAX_PROGRAM_HEADERS: u64 = 256;

/// At most this many dynamic entries are looked at (real ones: a few dozen).
const MAX_DYNAMIC_ENTRIES: u64 = 1024;

/// At most this many `DT_NEEDED` names are returned.
const MAX_NEEDED: usize = 128;

/// Longest library name read; longer names are cut (no soname we look for
/// comes anywhere near it).
const MAX_NAME: usize = 256;

const PT_LOAD: u64 = 1;
const PT_DYNAMIC: u64 = 2;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;

/// What a probe found out about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A dynamically linked ELF file and the libraries it needs, in order.
    Needed(Vec<String>),
    /// An ELF file without a dynamic section (statically linked).
    Static,
    /// Not an ELF file (a script, say), or unreadable.
    NotElf,
    /// Claims to be ELF but its structures do not hold together.
    Malformed(String),
}

/// Random access to the bytes of a file; implemented for [`File`] and for
/// byte slices (tests).
pub trait ReadAt {
    /// Fills `buf` from `offset`; `false` if the bytes are not all there.
    fn read_at_exact(&self, buf: &mut [u8], offset: u64) -> bool;
}

impl ReadAt for File {
    fn read_at_exact(&self, buf: &mut [u8], offset: u64) -> bool {
        self.read_exact_at(buf, offset).is_ok()
    }
}

impl ReadAt for [u8] {
    fn read_at_exact(&self, buf: &mut [u8], offset: u64) -> bool {
        let Ok(start) = usize::try_from(offset) else {
            return false;
        };
        match start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
        {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
}

/// Probes the file at `path`. Never executes it and never reads more than
/// a few KiB of it.
pub fn probe_path(path: &Path) -> Probe {
    // Only regular files: opening a FIFO would wait for a writer.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Probe::NotElf;
    }
    match File::open(path) {
        Ok(file) => probe(&file),
        Err(_) => Probe::NotElf,
    }
}

/// Probes an ELF image.
pub fn probe<R: ReadAt + ?Sized>(file: &R) -> Probe {
    let mut ident = [0u8; 16];
    if !file.read_at_exact(&mut ident, 0) || ident[..4] != *b"\x7fELF" {
        return Probe::NotElf;
    }
    let wide = match ident[4] {
        1 => false,
        2 => true,
        class => return Probe::Malformed(format!("unknown ELF class {class}")),
    };
    let big = match ident[5] {
        1 => false,
        2 => true,
        data => return Probe::Malformed(format!("unknown ELF byte order {data}")),
    };
    let r = Reader { file, wide, big };
    match r.needed() {
        Ok(Some(needed)) => Probe::Needed(needed),
        Ok(None) => Probe::Static,
        Err(message) => Probe::Malformed(message.to_owned()),
    }
}

struct Reader<'a, R: ReadAt + ?Sized> {
    file: &'a R,
    /// ELFCLASS64
    wide: bool,
    /// ELFDATA2MSB
    big: bool,
}

/// One `PT_LOAD` mapping: virtual address range → file offset.
struct Load {
    vaddr: u64,
    filesz: u64,
    offset: u64,
}

impl<R: ReadAt + ?Sized> Reader<'_, R> {
    fn bytes<const N: usize>(&self, offset: u64) -> Result<[u8; N], &'static str> {
        let mut buf = [0u8; N];
        if self.file.read_at_exact(&mut buf, offset) {
            Ok(buf)
        } else {
            Err("truncated file")
        }
    }

    fn u16(&self, offset: u64) -> Result<u64, &'static str> {
        let b = self.bytes::<2>(offset)?;
        Ok(u64::from(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }))
    }

    fn u32(&self, offset: u64) -> Result<u64, &'static str> {
        let b = self.bytes::<4>(offset)?;
        Ok(u64::from(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }))
    }

    fn u64(&self, offset: u64) -> Result<u64, &'static str> {
        let b = self.bytes::<8>(offset)?;
        Ok(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// An address-sized word (4 or 8 bytes).
    fn word(&self, offset: u64) -> Result<u64, &'static str> {
        if self.wide {
            self.u64(offset)
        } else {
            self.u32(offset)
        }
    }

    fn at(base: u64, add: u64) -> Result<u64, &'static str> {
        base.checked_add(add).ok_or("offset overflow")
    }

    /// The `DT_NEEDED` names, or `None` without a dynamic segment.
    fn needed(&self) -> Result<Option<Vec<String>>, &'static str> {
        // e_phoff, e_phentsize, e_phnum sit at class-dependent offsets.
        let (phoff, phentsize, phnum) = if self.wide {
            (self.u64(32)?, self.u16(54)?, self.u16(56)?)
        } else {
            (self.u32(28)?, self.u16(42)?, self.u16(44)?)
        };
        let min_entsize = if self.wide { 56 } else { 32 };
        if phnum == 0 {
            return Ok(None);
        }
        if phentsize < min_entsize || phnum > MAX_PROGRAM_HEADERS {
            return Err("implausible program header table");
        }

        let mut dynamic = None;
        let mut loads = Vec::new();
        for i in 0..phnum {
            let ph = Self::at(phoff, i.checked_mul(phentsize).ok_or("offset overflow")?)?;
            let kind = self.u32(ph)?;
            // p_offset, p_vaddr, p_filesz
            let (offset, vaddr, filesz) = if self.wide {
                (
                    self.u64(Self::at(ph, 8)?)?,
                    self.u64(Self::at(ph, 16)?)?,
                    self.u64(Self::at(ph, 32)?)?,
                )
            } else {
                (
                    self.u32(Self::at(ph, 4)?)?,
                    self.u32(Self::at(ph, 8)?)?,
                    self.u32(Self::at(ph, 16)?)?,
                )
            };
            match kind {
                PT_DYNAMIC => dynamic = Some((offset, filesz)),
                PT_LOAD => loads.push(Load {
                    vaddr,
                    filesz,
                    offset,
                }),
                _ => {}
            }
        }
        let Some((dyn_offset, dyn_size)) = dynamic else {
            return Ok(None);
        };

        let entsize: u64 = if self.wide { 16 } else { 8 };
        let count = (dyn_size / entsize).min(MAX_DYNAMIC_ENTRIES);
        let mut names = Vec::new();
        let mut strtab = None;
        let mut strsz = None;
        for i in 0..count {
            let entry = Self::at(dyn_offset, i * entsize)?;
            let tag = self.word(entry)?;
            let value = self.word(Self::at(entry, entsize / 2)?)?;
            match tag {
                DT_NULL => break,
                DT_NEEDED if names.len() < MAX_NEEDED => names.push(value),
                DT_STRTAB => strtab = Some(value),
                DT_STRSZ => strsz = Some(value),
                _ => {}
            }
        }
        if names.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let strtab = strtab.ok_or("DT_NEEDED without DT_STRTAB")?;
        let table = loads
            .iter()
            .find(|l| strtab >= l.vaddr && strtab - l.vaddr < l.filesz)
            .ok_or("string table outside the loaded segments")?;
        let table_offset = Self::at(table.offset, strtab - table.vaddr)?;
        // The table ends at DT_STRSZ, or at the end of its segment.
        let segment_left = table.filesz - (strtab - table.vaddr);
        let table_len = strsz.map_or(segment_left, |s| s.min(segment_left));

        names
            .into_iter()
            .map(|name| {
                if name >= table_len {
                    return Err("library name outside the string table");
                }
                self.c_string(
                    Self::at(table_offset, name)?,
                    (table_len - name).min(MAX_NAME as u64),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A NUL-terminated string of at most `max` bytes at `offset`.
    fn c_string(&self, offset: u64, max: u64) -> Result<String, &'static str> {
        let mut buf = vec![0u8; usize::try_from(max).unwrap_or(MAX_NAME)];
        // Near the end of the file fewer bytes may exist: shrink until the
        // read fits (the string must still end within what was read).
        while !buf.is_empty() && !self.file.read_at_exact(&mut buf, offset) {
            let shorter = buf.len() / 2;
            buf.truncate(shorter);
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a minimal dynamically linked ELF image needing `libs`
    /// (64-bit when `wide`, big-endian when `big`).
    pub(crate) fn image(libs: &[&str], wide: bool, big: bool) -> Vec<u8> {
        let put = |out: &mut Vec<u8>, value: u64, size: usize| {
            let bytes = value.to_be_bytes();
            let mut field = bytes[8 - size..].to_vec();
            if !big {
                field.reverse();
            }
            out.extend_from_slice(&field);
        };
        let (ehsize, phentsize, dynent): (usize, usize, usize) =
            if wide { (64, 56, 16) } else { (52, 32, 8) };
        let word = if wide { 8 } else { 4 };
        let mut strtab = vec![0u8];
        let mut offsets = Vec::new();
        for lib in libs {
            offsets.push(strtab.len() as u64);
            strtab.extend_from_slice(lib.as_bytes());
            strtab.push(0);
        }
        let phoff = ehsize;
        let strtab_off = phoff + 2 * phentsize;
        let dyn_off = strtab_off + strtab.len();
        let dyn_len = (libs.len() + 3) * dynent;
        let vaddr_base = 0x40_0000u64;

        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF");
        out.push(if wide { 2 } else { 1 });
        out.push(if big { 2 } else { 1 });
        out.push(1);
        out.resize(16, 0);
        put(&mut out, 2, 2); // e_type EXEC
        put(&mut out, 62, 2); // e_machine
        put(&mut out, 1, 4); // e_version
        put(&mut out, vaddr_base, word); // e_entry
        put(&mut out, phoff as u64, word); // e_phoff
        put(&mut out, 0, word); // e_shoff
        put(&mut out, 0, 4); // e_flags
        put(&mut out, ehsize as u64, 2);
        put(&mut out, phentsize as u64, 2);
        put(&mut out, 2, 2); // e_phnum
        put(&mut out, 0, 2);
        put(&mut out, 0, 2);
        put(&mut out, 0, 2);
        assert_eq!(out.len(), ehsize);

        let total = (dyn_off + dyn_len) as u64;
        for (kind, offset, size) in [
            (PT_LOAD, 0u64, total),
            (PT_DYNAMIC, dyn_off as u64, dyn_len as u64),
        ] {
            let start = out.len();
            put(&mut out, kind, 4);
            if wide {
                put(&mut out, 4, 4); // p_flags
                put(&mut out, offset, 8);
                put(&mut out, vaddr_base + offset, 8);
                put(&mut out, vaddr_base + offset, 8);
                put(&mut out, size, 8);
                put(&mut out, size, 8);
                put(&mut out, 8, 8);
            } else {
                put(&mut out, offset, 4);
                put(&mut out, vaddr_base + offset, 4);
                put(&mut out, vaddr_base + offset, 4);
                put(&mut out, size, 4);
                put(&mut out, size, 4);
                put(&mut out, 4, 4); // p_flags
                put(&mut out, 4, 4);
            }
            assert_eq!(out.len() - start, phentsize);
        }
        out.extend_from_slice(&strtab);
        for offset in offsets {
            put(&mut out, DT_NEEDED, word);
            put(&mut out, offset, word);
        }
        put(&mut out, DT_STRTAB, word);
        put(&mut out, vaddr_base + strtab_off as u64, word);
        put(&mut out, DT_STRSZ, word);
        put(&mut out, strtab.len() as u64, word);
        put(&mut out, DT_NULL, word);
        put(&mut out, 0, word);
        out
    }

    #[test]
    fn reads_needed_in_every_class_and_byte_order() {
        let libs = ["libggzdmod.so.7", "libggz.so.5", "libc.so.6"];
        for wide in [false, true] {
            for big in [false, true] {
                let elf = image(&libs, wide, big);
                assert_eq!(
                    probe(elf.as_slice()),
                    Probe::Needed(libs.iter().map(|s| s.to_string()).collect()),
                    "wide {wide} big {big}"
                );
            }
        }
    }

    #[test]
    fn scripts_and_static_files() {
        assert_eq!(probe(b"#!/bin/sh\nexec true\n".as_slice()), Probe::NotElf);
        assert_eq!(probe(b"".as_slice()), Probe::NotElf);
        let mut elf = image(&[], true, false);
        // No program headers at all: e_phnum = 0.
        elf[56] = 0;
        assert_eq!(probe(elf.as_slice()), Probe::Static);
        assert_eq!(
            probe_path(Path::new("/nonexistent/ggzd-probe")),
            Probe::NotElf
        );
        // Devices and FIFOs are not read at all (a FIFO would block).
        assert_eq!(probe_path(Path::new("/dev/zero")), Probe::NotElf);
        let dir = crate::config::tests::temp_dir("elf-fifo");
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(probe_path(&fifo), Probe::NotElf);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hostile_images_never_panic() {
        let elf = image(&["libggzdmod.so.6"], true, false);
        // Every truncation, and every single-byte corruption with a few
        // values, must come back as some Probe.
        for len in 0..elf.len() {
            let _ = probe(&elf[..len]);
        }
        for i in 0..elf.len() {
            for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut bad = elf.clone();
                bad[i] = value;
                let _ = probe(bad.as_slice());
            }
        }
        let mut huge = elf.clone();
        huge[56] = 0xff;
        huge[57] = 0xff;
        assert!(matches!(probe(huge.as_slice()), Probe::Malformed(_)));
    }

    #[test]
    fn a_real_executable_of_this_system() {
        // The test binary itself is a dynamically linked ELF file on the
        // platforms we build for; it needs libc.
        let me = std::env::current_exe().unwrap();
        let Probe::Needed(libs) = probe_path(&me) else {
            panic!("{}: {:?}", me.display(), probe_path(&me));
        };
        assert!(libs.iter().any(|l| l.starts_with("libc.so")), "{libs:?}");
    }
}

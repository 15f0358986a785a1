//! Walking the data units of a frame: each {DA DT} group expands to one data unit per
//! (pn, Fn), points outermost, each in ascending order, and each unit's length comes from the
//! catalogue. Where the catalogue does not know a unit, the rest of the data units is handed
//! out raw: its length is never guessed.

use super::data::{Data, Layout};
use crate::{Afn, Da, Direction, Dt, UnitError};

/// One data unit: the value of one Fn at one pn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataUnit<'a> {
    /// The AFN of the frame.
    pub afn: Afn,
    /// The direction of the frame.
    pub dir: Direction,
    /// The DA of its group.
    pub da: Da,
    /// The DT of its group.
    pub dt: Dt,
    /// Its point, 0–2040 (0 also when DA names no point).
    pub pn: u16,
    /// Its Fn (0 when DT names none).
    pub fn_number: u16,
    /// Offset of `data` in the frame.
    pub offset: usize,
    /// Its bytes; when `layout` is `None`, every remaining byte of the data units.
    pub data: &'a [u8],
    /// Its layout in the catalogue; `None`: unknown, `data` is the raw rest.
    pub layout: Option<Layout>,
}

impl<'a> DataUnit<'a> {
    /// The typed value; `Ok(None)` when the catalogue does not know the unit. Error offsets
    /// count from the start of the frame.
    pub fn data(&self) -> Result<Option<Data<'a>>, UnitError> {
        match self.layout {
            None => Ok(None),
            Some(l) => Data::parse(l, self.fn_number, self.data)
                .map(Some)
                .map_err(|e| e.shifted(self.offset)),
        }
    }
}

/// The iterator over a frame's data units; it stops after a raw rest or an error.
#[derive(Debug, Clone)]
pub struct Units<'a> {
    body: &'a [u8],
    base: usize,
    pos: usize,
    afn: Afn,
    dir: Direction,
    group: Option<Group>,
    done: bool,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    da: Da,
    dt: Dt,
    pns: [u16; 8],
    n_pn: usize,
    fns: [u16; 8],
    n_fn: usize,
    next: usize,
}

impl Group {
    fn new(da: Da, dt: Dt) -> Self {
        let mut pns = [0; 8];
        let mut n_pn = 0;
        for (slot, p) in pns.iter_mut().zip(da.points()) {
            *slot = p;
            n_pn += 1;
        }
        let mut fns = [0; 8];
        let mut n_fn = 0;
        for (slot, f) in fns.iter_mut().zip(dt.functions()) {
            *slot = f;
            n_fn += 1;
        }
        Self {
            da,
            dt,
            pns,
            n_pn,
            fns,
            n_fn,
            next: 0,
        }
    }

    fn take(&mut self) -> Option<(u16, u16)> {
        if self.n_fn == 0 || self.next >= self.n_pn * self.n_fn {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some((
            self.pns.get(i / self.n_fn).copied()?,
            self.fns.get(i % self.n_fn).copied()?,
        ))
    }
}

impl<'a> Units<'a> {
    /// Walks `body` (the data units of a frame of `afn` going `dir`); `base` is the offset of
    /// `body` in the frame.
    pub fn new(body: &'a [u8], afn: Afn, dir: Direction, base: usize) -> Self {
        Self {
            body,
            base,
            pos: 0,
            afn,
            dir,
            group: None,
            done: false,
        }
    }
}

impl<'a> Iterator for Units<'a> {
    type Item = Result<DataUnit<'a>, UnitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if let Some(g) = &mut self.group
                && let Some((pn, fn_number)) = g.take()
            {
                let (da, dt) = (g.da, g.dt);
                let rest = self.body.get(self.pos..).unwrap_or(&[]);
                let offset = self.base + self.pos;
                let layout = Layout::of(self.afn.to_byte(), self.dir, fn_number);
                let mut unit = DataUnit {
                    afn: self.afn,
                    dir: self.dir,
                    da,
                    dt,
                    pn,
                    fn_number,
                    offset,
                    data: rest,
                    layout,
                };
                let Some(l) = layout else {
                    self.done = true;
                    return Some(Ok(unit));
                };
                let len = l.wire_len(rest, fn_number);
                let Some(data) = rest.get(..len) else {
                    self.done = true;
                    return Some(Err(UnitError::Truncated {
                        offset: self.base + self.body.len(),
                        needed: len - rest.len(),
                    }));
                };
                unit.data = data;
                self.pos += len;
                return Some(Ok(unit));
            }
            self.group = None;
            let rest = self.body.get(self.pos..).unwrap_or(&[]);
            if rest.is_empty() {
                self.done = true;
                return None;
            }
            let Some(&[da1, da2, dt1, dt2]) = rest.get(..4) else {
                self.done = true;
                return Some(Err(UnitError::Truncated {
                    offset: self.base + self.body.len(),
                    needed: 4 - rest.len(),
                }));
            };
            self.pos += 4;
            let (da, dt) = (Da { da1, da2 }, Dt { dt1, dt2 });
            let g = Group::new(da, dt);
            if g.n_pn == 0 || g.n_fn == 0 {
                // A set naming no (pn, Fn) pair (DA2 = 0 with DA1 ≠ 0, which 2013 terminals
                // use for "all points", or DT1 = 0): how much data follows is unknown.
                self.done = true;
                return Some(Ok(DataUnit {
                    afn: self.afn,
                    dir: self.dir,
                    da,
                    dt,
                    pn: 0,
                    fn_number: dt.functions().next().unwrap_or(0),
                    offset: self.base + self.pos,
                    data: self.body.get(self.pos..).unwrap_or(&[]),
                    layout: None,
                }));
            }
            self.group = Some(g);
        }
    }
}

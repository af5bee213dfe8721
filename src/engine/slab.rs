//! Storage of in-flight objects by index, with generations so that an event scheduled
//! for an object that has since ended is recognised as stale instead of touching a
//! newer object in the same slot.

/// A handle to an object in a [`Slab`]. The default handle matches no object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle {
    index: u32,
    generation: u32,
}

#[derive(Clone, Debug)]
struct Entry<T> {
    /// Odd while the slot contains a live object, even once it is freed. Handles carry the
    /// odd generation of their object, so a handle to a freed or reused slot matches
    /// neither.
    generation: u32,
    /// The object, left in place when the slot is freed.
    value: T,
}

impl<T> Entry<T> {
    fn is_live(&self) -> bool {
        self.generation % 2 == 1
    }
}

/// A vector of reusable slots. Memory grows with the largest number of objects alive at
/// once, not with the number ever inserted.
///
/// Objects are `Copy`, so that removing one copies it out and leaves the slot as it is,
/// instead of moving it out through an `Option`.
#[derive(Clone, Debug)]
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Copy> Slab<T> {
    /// Stores `value` and returns its handle. Freed slots are reused last-in first-out,
    /// a deterministic order.
    ///
    /// # Panics
    ///
    /// If 2^32 objects are alive at once.
    #[inline]
    pub fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.generation = entry.generation.wrapping_add(1);
            entry.value = value;
            Handle {
                index,
                generation: entry.generation,
            }
        } else {
            let index =
                u32::try_from(self.entries.len()).expect("fewer than 2^32 objects in flight");
            self.entries.push(Entry {
                generation: 1,
                value,
            });
            Handle {
                index,
                generation: 1,
            }
        }
    }

    /// Stores an object written in place by `fill` and returns its handle, as
    /// [`Slab::insert`] does. `fill` receives the slot, which contains an earlier object or
    /// `T::default()`, and must assign a whole new object to it.
    ///
    /// An object built on the stack and then copied into its slot is read back with
    /// 16-byte loads right after it was written field by field, and the processor cannot
    /// forward those stores to such loads: each copy stalls for about as long as a cache
    /// miss. Assigning the object to the slot in place writes each field once, where it
    /// stays.
    ///
    /// # Panics
    ///
    /// If 2^32 objects are alive at once.
    #[expect(
        clippy::inline_always,
        reason = "the object is written in place only once `fill` is inlined"
    )]
    #[inline(always)]
    pub fn insert_with(&mut self, fill: impl FnOnce(&mut T)) -> Handle
    where
        T: Default,
    {
        self.len += 1;
        let index = if let Some(index) = self.free.pop() {
            index
        } else {
            let index =
                u32::try_from(self.entries.len()).expect("fewer than 2^32 objects in flight");
            self.entries.push(Entry {
                generation: 0,
                value: T::default(),
            });
            index
        };
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        fill(&mut entry.value);
        Handle {
            index,
            generation: entry.generation,
        }
    }

    /// The object of `handle`, if it is still alive.
    #[inline]
    #[must_use]
    pub fn get(&self, handle: Handle) -> Option<&T> {
        let entry = self.entries.get(handle.index as usize)?;
        (entry.generation == handle.generation).then_some(&entry.value)
    }

    /// The object of `handle`, mutably, if it is still alive.
    #[inline]
    pub fn get_mut(&mut self, handle: Handle) -> Option<&mut T> {
        let entry = self.entries.get_mut(handle.index as usize)?;
        (entry.generation == handle.generation).then_some(&mut entry.value)
    }

    /// Takes the object of `handle` out, freeing its slot.
    #[inline]
    pub fn remove(&mut self, handle: Handle) -> Option<T> {
        let entry = self.entries.get_mut(handle.index as usize)?;
        if entry.generation != handle.generation {
            return None;
        }
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(handle.index);
        self.len -= 1;
        Some(entry.value)
    }

    /// Frees the slot of `handle`, leaving its object in place, and returns whether it
    /// was alive. Unlike [`Slab::remove`] it copies nothing out; read what is needed with
    /// [`Slab::get`] first.
    #[expect(
        clippy::inline_always,
        reason = "a call costs more than freeing, on every end of a call and of a job"
    )]
    #[inline(always)]
    pub fn free(&mut self, handle: Handle) -> bool {
        let Some(entry) = self.entries.get_mut(handle.index as usize) else {
            return false;
        };
        if entry.generation != handle.generation {
            return false;
        }
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(handle.index);
        self.len -= 1;
        true
    }

    /// The live objects, in slot order.
    #[must_use = "iterators do nothing unless consumed"]
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries
            .iter()
            .filter(|e| e.is_live())
            .map(|e| &e.value)
    }

    /// The handles of the live objects, in slot order.
    pub fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_live())
            .map(|(index, e)| Handle {
                index: index as u32,
                generation: e.generation,
            })
    }

    /// Number of live objects.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no object is alive.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots allocated, the high-water mark of live objects.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handle_is_rejected() {
        let mut slab = Slab::default();
        let first = slab.insert("a");
        assert_eq!(slab.remove(first), Some("a"));
        let second = slab.insert("b");
        assert_eq!(slab.get(first), None);
        assert_eq!(slab.get(second), Some(&"b"));
        assert_eq!(slab.capacity(), 1);
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn insert_with_and_free_reuse_slots() {
        let mut written = Slab::<u32>::default();
        let mut copied = Slab::<u32>::default();
        let a = written.insert_with(|slot| *slot = 1);
        let b = written.insert_with(|slot| *slot = 2);
        assert_eq!((a, b), (copied.insert(1), copied.insert(2)));
        assert!(written.free(a));
        assert!(!written.free(a));
        assert_eq!(copied.remove(a), Some(1));
        let c = written.insert_with(|slot| *slot = 3);
        assert_eq!(c, copied.insert(3));
        assert_eq!(written.get(a), None);
        assert_eq!(written.get(c), Some(&3));
        assert_eq!(written.len(), 2);
    }
}

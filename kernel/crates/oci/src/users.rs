//! User and group lookup for resolving an image's `User` field: the [`UserLookup`] trait
//! and [`UserDb`], which parses `/etc/passwd` and `/etc/group` contents.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One `/etc/passwd` entry (the fields a container start needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// One `/etc/group` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Name resolution for [`crate::spec_from_image`]; the kernel backs it with the files of
/// the unpacked root filesystem (see [`UserDb`]) or with nothing ([`NoUsers`]).
pub trait UserLookup {
    fn user_by_name(&self, name: &str) -> Option<PasswdEntry>;
    fn user_by_uid(&self, uid: u32) -> Option<PasswdEntry>;
    fn group_by_name(&self, name: &str) -> Option<GroupEntry>;
    fn group_by_gid(&self, gid: u32) -> Option<GroupEntry>;
    /// Every group listing `user` as a member, in file order.
    fn groups_of(&self, user: &str) -> Vec<GroupEntry>;
}

/// A lookup that knows no names (an image without `/etc/passwd`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUsers;

impl UserLookup for NoUsers {
    fn user_by_name(&self, _: &str) -> Option<PasswdEntry> {
        None
    }
    fn user_by_uid(&self, _: u32) -> Option<PasswdEntry> {
        None
    }
    fn group_by_name(&self, _: &str) -> Option<GroupEntry> {
        None
    }
    fn group_by_gid(&self, _: u32) -> Option<GroupEntry> {
        None
    }
    fn groups_of(&self, _: &str) -> Vec<GroupEntry> {
        Vec::new()
    }
}

/// Parsed `/etc/passwd` and `/etc/group`. Malformed lines are skipped, as libc does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDb {
    pub users: Vec<PasswdEntry>,
    pub groups: Vec<GroupEntry>,
}

impl UserDb {
    /// Parses the two files' contents (either may be empty).
    pub fn parse(passwd: &[u8], group: &[u8]) -> UserDb {
        UserDb { users: lines(passwd).filter_map(parse_passwd_line).collect(), groups: lines(group).filter_map(parse_group_line).collect() }
    }
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    bytes.split(|&b| b == b'\n').filter_map(|l| core::str::from_utf8(l).ok()).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// `name:password:uid:gid:gecos:home:shell`
fn parse_passwd_line(line: &str) -> Option<PasswdEntry> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 7 || f[0].is_empty() {
        return None;
    }
    Some(PasswdEntry { name: f[0].to_string(), uid: f[2].parse().ok()?, gid: f[3].parse().ok()?, home: f[5].to_string() })
}

/// `name:password:gid:member,member`
fn parse_group_line(line: &str) -> Option<GroupEntry> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 4 || f[0].is_empty() {
        return None;
    }
    let members = f[3].split(',').map(str::trim).filter(|m| !m.is_empty()).map(ToString::to_string).collect();
    Some(GroupEntry { name: f[0].to_string(), gid: f[2].parse().ok()?, members })
}

impl UserLookup for UserDb {
    fn user_by_name(&self, name: &str) -> Option<PasswdEntry> {
        self.users.iter().find(|u| u.name == name).cloned()
    }
    fn user_by_uid(&self, uid: u32) -> Option<PasswdEntry> {
        self.users.iter().find(|u| u.uid == uid).cloned()
    }
    fn group_by_name(&self, name: &str) -> Option<GroupEntry> {
        self.groups.iter().find(|g| g.name == name).cloned()
    }
    fn group_by_gid(&self, gid: u32) -> Option<GroupEntry> {
        self.groups.iter().find(|g| g.gid == gid).cloned()
    }
    fn groups_of(&self, user: &str) -> Vec<GroupEntry> {
        self.groups.iter().filter(|g| g.members.iter().any(|m| m == user)).cloned().collect()
    }
}

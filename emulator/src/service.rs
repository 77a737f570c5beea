//! The VM service: the world of instances and interfaces, the attach and detach operations with
//! their documented preconditions (see the module docs of [`crate::emulator`] for their order),
//! and the describe answers.
//!
//! One mutex guards the whole world, and an operation checks and changes it without letting
//! go: of many concurrent attaches of one interface exactly one wins.
//!
//! An accepted attach or detach changes the world's *committed* state at once (what
//! [`Service::attached_to`] and [`Service::snapshot`] show, and what later checks see), and
//! starts a task on the instance that remembers the interface's attachment as it was. Until
//! the task ends, the describe answers show that remembered attachment: the change becomes
//! visible when the task ends, as on JD Cloud, where an attach or a detach takes effect after
//! a while.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{Map, Value};

use crate::{
    reply::ApiError,
    spec::Op,
    state::{EmulatorState, Instance, NetworkInterface},
    view::{Attached, InstanceView},
};

/// An interface's attachment: to what, whether it goes with the instance, and when it was
/// made (secondary interfaces are listed, and numbered, in that order).
#[derive(Clone, Debug)]
pub(crate) struct Attachment {
    attached_to: Option<String>,
    auto_delete: bool,
    seq: u64,
}

/// A task in progress on an instance; attaches and detaches of it are refused until it ends.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    pub(crate) id: String,
    /// `None`: a task that never ends (`"busy": true` in the state file).
    pub(crate) until: Option<Instant>,
    /// The attach or detach the task applies: the interface and its attachment before it.
    pending: Option<Pending>,
    /// The status the instance shows while the task runs (`pending`, `stopping`, …); its
    /// committed status shows when it ends.
    pub(crate) shows: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Pending {
    interface_at: usize,
    before: Attachment,
}

impl Task {
    pub(crate) fn running_at(&self, now: Instant) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

pub(crate) struct World {
    pub(crate) state: EmulatorState,
    pub(crate) instance_index: HashMap<String, usize>,
    pub(crate) interface_index: HashMap<String, usize>,
    /// Tasks by instance index; an ended one stays until the next replaces it.
    pub(crate) tasks: HashMap<usize, Task>,
    /// By interface index: the instance whose task last changed the interface.
    pending_on: HashMap<usize, usize>,
    /// By interface index: when its committed attachment was made.
    pub(crate) attach_seq: Vec<u64>,
    pub(crate) next_seq: u64,
    /// How long a task lasts.
    pub(crate) task_duration: Duration,
    /// Images in progress (`createImage`, `copyImages`, …): until when they show `creating`.
    pub(crate) image_tasks: HashMap<String, Instant>,
    /// Answers of calls made with a `clientToken`, by operation and token.
    pub(crate) tokens: HashMap<(String, String), Value>,
    /// By disk: the last attach (`true`) or detach (`false`) of it, as the task of an instance
    /// (the instance, which, the task's id); it shows while that task runs.
    pub(crate) disk_changes: HashMap<String, (String, bool, String)>,
}

pub(crate) struct Service {
    world: Mutex<World>,
    task_duration: Duration,
}

impl World {
    pub(crate) fn instance_at(
        &self,
        region_id: &str,
        instance_id: &str,
    ) -> Result<usize, ApiError> {
        self.instance_index
            .get(instance_id)
            .copied()
            .filter(|&at| self.state.instances[at].region == region_id)
            .filter(|&at| self.exists(at, Instant::now()))
            .ok_or_else(|| ApiError::not_found(format!("Instance '{instance_id}' not found.")))
    }

    /// Whether an instance is still there: not deleted, or deleted by a task still running.
    pub(crate) fn exists(&self, at: usize, now: Instant) -> bool {
        !self.state.instances[at].deleted || self.running_task(at, now).is_some()
    }

    /// The disk change still running, if any: `(instance, attaching)`.
    pub(crate) fn disk_change(&self, disk_id: &str, now: Instant) -> Option<(&str, bool)> {
        let (instance, attaching, task) = self.disk_changes.get(disk_id)?;
        let at = *self.instance_index.get(instance)?;
        let running = self.running_task(at, now).is_some_and(|t| &t.id == task);
        running.then_some((instance.as_str(), *attaching))
    }

    /// The status the describes show: the task's while one runs, else the committed one.
    pub(crate) fn visible_status(&self, at: usize, now: Instant) -> String {
        match self.running_task(at, now).and_then(|t| t.shows.clone()) {
            Some(shows) => shows,
            None => self.state.instances[at].status.clone(),
        }
    }

    /// Starts a task on an instance that shows `shows` while it runs; its id.
    pub(crate) fn start_status_task(&mut self, at: usize, shows: &str, now: Instant) -> String {
        let id = new_task_id();
        self.tasks.insert(
            at,
            Task {
                id: id.clone(),
                until: now.checked_add(self.task_duration),
                pending: None,
                shows: Some(shows.to_owned()),
            },
        );
        id
    }

    pub(crate) fn interface_at(
        &self,
        region_id: &str,
        interface_id: &str,
    ) -> Result<usize, ApiError> {
        self.interface_index
            .get(interface_id)
            .copied()
            .filter(|&at| self.state.network_interfaces[at].region == region_id)
            .ok_or_else(|| {
                ApiError::not_found(format!("NetworkInterface '{interface_id}' not found."))
            })
    }

    pub(crate) fn running_task(&self, instance_at: usize, now: Instant) -> Option<&Task> {
        self.tasks.get(&instance_at).filter(|t| t.running_at(now))
    }

    /// The task in progress that is changing an interface, if any.
    fn pending_change(&self, interface_at: usize, now: Instant) -> Option<&Pending> {
        let instance_at = self.pending_on.get(&interface_at)?;
        self.running_task(*instance_at, now)?
            .pending
            .as_ref()
            .filter(|p| p.interface_at == interface_at)
    }

    /// The interface's attachment as the describe answers show it now: the one before the
    /// change of a task still in progress, else the committed one.
    fn visible(&self, interface_at: usize, now: Instant) -> Attachment {
        match self.pending_change(interface_at, now) {
            Some(pending) => pending.before.clone(),
            None => {
                let nic = &self.state.network_interfaces[interface_at];
                Attachment {
                    attached_to: nic.attached_to.clone(),
                    auto_delete: nic.auto_delete,
                    seq: self.attach_seq[interface_at],
                }
            }
        }
    }

    /// By instance id, the interfaces visibly attached to it, in attach order, with their
    /// `auto_delete`.
    pub(crate) fn visible_attachments(
        &self,
        now: Instant,
    ) -> HashMap<String, Vec<(u64, usize, bool)>> {
        let mut by_instance: HashMap<String, Vec<(u64, usize, bool)>> = HashMap::new();
        for at in 0..self.state.network_interfaces.len() {
            let a = self.visible(at, now);
            if let Some(instance) = a.attached_to {
                by_instance
                    .entry(instance)
                    .or_default()
                    .push((a.seq, at, a.auto_delete));
            }
        }
        for list in by_instance.values_mut() {
            list.sort_unstable();
        }
        by_instance
    }

    pub(crate) fn view(
        &self,
        instance: &Instance,
        attachments: &HashMap<String, Vec<(u64, usize, bool)>>,
    ) -> InstanceView {
        let nics = &self.state.network_interfaces;
        let mut primary: Option<&NetworkInterface> = None;
        let mut secondaries = Vec::new();
        for &(_, at, auto_delete) in attachments.get(&instance.id).into_iter().flatten() {
            let interface = &nics[at];
            if interface.primary && primary.is_none() {
                primary = Some(interface);
            } else {
                secondaries.push(Attached {
                    interface,
                    auto_delete,
                });
            }
        }
        InstanceView::new(instance, primary, &secondaries)
    }

    fn start_task(
        &mut self,
        instance_at: usize,
        interface_at: usize,
        before: Attachment,
        until: Option<Instant>,
    ) {
        if let Some(Pending {
            interface_at: old, ..
        }) = self
            .tasks
            .get(&instance_at)
            .and_then(|t| t.pending.as_ref())
        {
            if self.pending_on.get(old) == Some(&instance_at) {
                self.pending_on.remove(old);
            }
        }
        self.tasks.insert(
            instance_at,
            Task {
                id: new_task_id(),
                until,
                pending: Some(Pending {
                    interface_at,
                    before,
                }),
                shows: None,
            },
        );
        self.pending_on.insert(interface_at, instance_at);
    }

    fn committed(&self, interface_at: usize) -> Attachment {
        let nic = &self.state.network_interfaces[interface_at];
        Attachment {
            attached_to: nic.attached_to.clone(),
            auto_delete: nic.auto_delete,
            seq: self.attach_seq[interface_at],
        }
    }
}

/// The checks attach and detach share, in order: the instance and the interface exist in the
/// region, the interface is the caller's, the instance's status allows it, no task is in
/// progress. The indexes of the instance and the interface.
fn common_checks(
    world: &World,
    caller: &str,
    region_id: &str,
    instance_id: &str,
    interface_id: &str,
    now: Instant,
) -> Result<(usize, usize), ApiError> {
    let instance_at = world.instance_at(region_id, instance_id)?;
    let interface_at = world.interface_at(region_id, interface_id)?;
    let instance = &world.state.instances[instance_at];
    let nic = &world.state.network_interfaces[interface_at];
    if nic.owner != caller {
        return Err(ApiError::precondition("No NetworkInterface permissions."));
    }
    if instance.status != "running" && instance.status != "stopped" {
        return Err(ApiError::precondition(format!(
            "Invalid instance status {}",
            instance.status
        )));
    }
    if let Some(task) = world.running_task(instance_at, now) {
        return Err(ApiError::precondition(format!(
            "Conflict with underlay task {}",
            task.id
        )));
    }
    Ok((instance_at, interface_at))
}

impl Service {
    pub(crate) fn new(state: EmulatorState, task_duration: Duration) -> Service {
        let instance_index = index(state.instances.iter().map(|i| &i.id));
        let interface_index = index(state.network_interfaces.iter().map(|n| &n.id));
        let tasks = state
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.busy)
            .map(|(at, i)| {
                let task = Task {
                    id: busy_task_id(&i.id),
                    until: None,
                    pending: None,
                    shows: None,
                };
                (at, task)
            })
            .collect();
        // The state file's order is the attach order of what it lists as attached.
        let count = state.network_interfaces.len() as u64;
        Service {
            world: Mutex::new(World {
                state,
                instance_index,
                interface_index,
                tasks,
                pending_on: HashMap::new(),
                attach_seq: (0..count).collect(),
                next_seq: count,
                task_duration,
                image_tasks: HashMap::new(),
                tokens: HashMap::new(),
                disk_changes: HashMap::new(),
            }),
            task_duration,
        }
    }

    pub(crate) fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // Nothing panics while holding the lock; if something ever did, the world is still
        // consistent (each change is made of assignments that cannot fail), so keep serving.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The end of a task started at `now`; a duration too long to represent never ends.
    fn task_end(&self, now: Instant) -> Option<Instant> {
        now.checked_add(self.task_duration)
    }

    /// `attachNetworkInterface` by the holder of `caller` (an access key).
    pub(crate) fn attach(
        &self,
        caller: &str,
        region_id: &str,
        instance_id: &str,
        nic_id: &str,
        auto_delete: bool,
        now: Instant,
    ) -> Result<(), ApiError> {
        let mut world = self.world();
        let world = &mut *world;
        let (instance_at, nic_at) =
            common_checks(world, caller, region_id, instance_id, nic_id, now)?;
        let instance: &Instance = &world.state.instances[instance_at];
        let nic: &NetworkInterface = &world.state.network_interfaces[nic_at];

        if nic.primary {
            return Err(ApiError::precondition(format!(
                "NetworkInterface '{nic_id}' is a primary network interface and cannot be attached"
            )));
        }
        // Attached, or being detached by a task still in progress on another instance.
        if nic.attached_to.is_some() || world.pending_change(nic_at, now).is_some() {
            return Err(ApiError::precondition(
                "NetworkInterface has been attached on other device",
            ));
        }
        if nic.vpc != instance.vpc {
            return Err(ApiError::precondition(format!(
                "NetworkInterface '{nic_id}' and instance are not in the same vpc"
            )));
        }
        if let Some(az) = &nic.elastic_ip_az {
            if az != "*" && *az != instance.az {
                return Err(ApiError::precondition(format!(
                    "ElasticIp '{}' and instance are not in the same az",
                    nic.elastic_ip_id()
                )));
            }
        }
        let attached = world
            .state
            .network_interfaces
            .iter()
            .filter(|n| n.attached_to.as_deref() == Some(instance_id))
            .count();
        if attached >= instance.max_network_interfaces as usize {
            return Err(ApiError::precondition(
                "Flavor constraints. NetworkInterface limit exceeded",
            ));
        }

        let before = world.committed(nic_at);
        let nic = &mut world.state.network_interfaces[nic_at];
        nic.attached_to = Some(instance_id.to_owned());
        nic.auto_delete = auto_delete;
        world.attach_seq[nic_at] = world.next_seq;
        world.next_seq += 1;
        world.start_task(instance_at, nic_at, before, self.task_end(now));
        Ok(())
    }

    /// `detachNetworkInterface` by the holder of `caller` (an access key).
    pub(crate) fn detach(
        &self,
        caller: &str,
        region_id: &str,
        instance_id: &str,
        network_interface_id: &str,
        now: Instant,
    ) -> Result<(), ApiError> {
        let mut world = self.world();
        let world = &mut *world;
        let (instance_at, nic_at) = common_checks(
            world,
            caller,
            region_id,
            instance_id,
            network_interface_id,
            now,
        )?;
        let nic = &world.state.network_interfaces[nic_at];
        let here = nic.attached_to.as_deref() == Some(instance_id);
        if here && nic.primary {
            return Err(ApiError::precondition(
                "Can't detach primaryNetworkInterface",
            ));
        }
        if !here {
            return Err(ApiError::precondition(format!(
                "NetworkInterface '{network_interface_id}' is not attached to instance '{instance_id}'"
            )));
        }

        let before = world.committed(nic_at);
        let nic = &mut world.state.network_interfaces[nic_at];
        nic.attached_to = None;
        nic.auto_delete = false;
        world.start_task(instance_at, nic_at, before, self.task_end(now));
        Ok(())
    }

    /// Runs an operation: its behaviour, under the world's one lock.
    pub(crate) fn call(
        &self,
        op: &'static Op,
        caller: &str,
        args: &Map<String, Value>,
        now: Instant,
    ) -> Result<Option<Value>, ApiError> {
        let text = |name: &str| args.get(name).and_then(Value::as_str).unwrap_or_default();
        match op.name.as_str() {
            "attachNetworkInterface" => {
                let auto_delete = args
                    .get("autoDelete")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                self.attach(
                    caller,
                    text("regionId"),
                    text("instanceId"),
                    text("networkInterfaceId"),
                    auto_delete,
                    now,
                )?;
                Ok(None)
            }
            "detachNetworkInterface" => {
                self.detach(
                    caller,
                    text("regionId"),
                    text("instanceId"),
                    text("networkInterfaceId"),
                    now,
                )?;
                Ok(None)
            }
            _ => {
                let mut world = self.world();
                let ctx = crate::resources::Ctx {
                    op,
                    caller,
                    region: text("regionId"),
                    now,
                };
                crate::resources::call(&mut world, &ctx, args)
            }
        }
    }

    /// The instance an interface is attached to, in the committed state (a change accepted
    /// shows here at once, while its task runs).
    pub(crate) fn attached_to(&self, network_interface_id: &str) -> Option<String> {
        self.world()
            .state
            .attached_to(network_interface_id)
            .map(str::to_owned)
    }

    /// The committed world as a state file would describe it: instances with a task in
    /// progress are `busy`.
    pub(crate) fn snapshot(&self, now: Instant) -> EmulatorState {
        let world = self.world();
        let mut state = world.state.clone();
        for (at, instance) in state.instances.iter_mut().enumerate() {
            instance.busy = world.running_task(at, now).is_some();
        }
        state.instances.retain(|i| !i.deleted);
        state
    }
}

fn index<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    ids.enumerate().map(|(at, id)| (id.clone(), at)).collect()
}

/// The id of the endless task of a `busy` instance: the same from run to run, so that tests
/// and scripts can expect it.
fn busy_task_id(instance_id: &str) -> String {
    format!(
        "task-{}",
        instance_id.strip_prefix("i-").unwrap_or(instance_id)
    )
}

pub(crate) fn new_task_id() -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let suffix: String = (0..10)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect();
    format!("task-{suffix}")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// An operation called as the handler calls it, its arguments read by the spec.
    fn call(
        s: &Service,
        op: &str,
        region: &str,
        instance: Option<&str>,
        query: &str,
        now: Instant,
    ) -> Result<Value, ApiError> {
        let spec = crate::spec::spec();
        let op = spec.op(op).unwrap();
        let mut path = std::collections::BTreeMap::new();
        path.insert("regionId".to_owned(), region.to_owned());
        if let Some(i) = instance {
            path.insert("instanceId".to_owned(), i.to_owned());
        }
        let args = crate::input::read(spec, op, &path, query, b"")?;
        s.call(op, "AK", &args, now).map(Option::unwrap_or_default)
    }

    const STATE: &str = r#"{
      "credentials": [{"access_key": "AK", "secret_key": "SK"}],
      "instances": [
        {"id": "i-1", "region": "r1", "az": "r1a", "vpc": "vpc-1", "max_network_interfaces": 4},
        {"id": "i-2", "region": "r1", "az": "r1a", "vpc": "vpc-1", "busy": true},
        {"id": "i-3", "region": "r1", "az": "r1b", "vpc": "vpc-1", "status": "stopped"},
        {"id": "i-4", "region": "r1", "az": "r1a", "vpc": "vpc-1", "status": "starting"},
        {"id": "i-5", "region": "r2", "az": "r2a", "vpc": "vpc-1"}
      ],
      "network_interfaces": [
        {"id": "port-a", "region": "r1", "vpc": "vpc-1", "owner": "AK"},
        {"id": "port-b", "region": "r1", "vpc": "vpc-1", "owner": "AK"},
        {"id": "port-p1", "region": "r1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-1", "primary": true,
         "elastic_ip_az": "*", "security_groups": [{"id": "sg-1", "name": "web"}]},
        {"id": "port-s3", "region": "r1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-3"},
        {"id": "port-s4", "region": "r1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-4"},
        {"id": "port-theirs", "region": "r1", "vpc": "vpc-1", "owner": "OTHER", "attached_to": "i-1"},
        {"id": "port-r2", "region": "r2", "vpc": "vpc-1", "owner": "AK"}
      ]
    }"#;

    const TASK: Duration = Duration::from_secs(2);

    fn service(task: Duration) -> Service {
        Service::new(EmulatorState::from_json(STATE).unwrap(), task)
    }

    fn attach(s: &Service, instance: &str, nic: &str, now: Instant) -> Result<(), ApiError> {
        s.attach("AK", "r1", instance, nic, true, now)
    }

    fn detach(s: &Service, instance: &str, nic: &str, now: Instant) -> Result<(), ApiError> {
        s.detach("AK", "r1", instance, nic, now)
    }

    fn describe(s: &Service, instance: &str, now: Instant) -> Value {
        call(s, "describeInstance", "r1", Some(instance), "", now).unwrap()["instance"].clone()
    }

    /// The ids of the secondary interfaces `describeInstance` shows.
    fn secondaries(s: &Service, instance: &str, now: Instant) -> Vec<String> {
        describe(s, instance, now)["secondaryNetworkInterfaces"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|a| {
                        a["networkInterface"]["networkInterfaceId"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn list(s: &Service, query: &str, now: Instant) -> (Vec<String>, usize) {
        let json = call(s, "describeInstances", "r1", None, query, now).unwrap();
        let ids = json["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["instanceId"].as_str().unwrap().to_owned())
            .collect();
        (ids, json["totalCount"].as_u64().unwrap() as usize)
    }

    fn refusal(result: Result<(), ApiError>) -> (u16, &'static str, String) {
        let e = result.expect_err("refused");
        (e.http.as_u16(), e.status, e.message)
    }

    fn precondition(message: &str) -> (u16, &'static str, String) {
        (400, "FAILED_PRECONDITION", message.to_owned())
    }

    #[test]
    fn an_attach_starts_a_task_that_ends() {
        let s = service(TASK);
        let t0 = Instant::now();
        attach(&s, "i-1", "port-a", t0).unwrap();
        assert_eq!(s.attached_to("port-a").as_deref(), Some("i-1"));
        assert!(s.snapshot(t0).instances[0].busy);
        let e = attach(&s, "i-1", "port-b", t0 + Duration::from_secs(1)).unwrap_err();
        assert!(
            e.message.starts_with("Conflict with underlay task task-"),
            "{}",
            e.message
        );
        attach(&s, "i-1", "port-b", t0 + TASK).unwrap();
        assert!(s.snapshot(t0).network_interfaces[1].auto_delete);
    }

    #[test]
    fn a_busy_instance_has_a_stable_task_id() {
        let s = service(Duration::ZERO);
        let e = attach(&s, "i-2", "port-a", Instant::now()).unwrap_err();
        assert_eq!(e.message, "Conflict with underlay task task-2");
        let e = detach(&s, "i-2", "port-a", Instant::now()).unwrap_err();
        assert_eq!(e.message, "Conflict with underlay task task-2");
    }

    #[test]
    fn another_region_hides_the_instance() {
        let s = service(Duration::ZERO);
        let e = s
            .attach("AK", "r2", "i-1", "port-a", false, Instant::now())
            .unwrap_err();
        assert_eq!(e.message, "Instance 'i-1' not found.");
        let e = call(
            &s,
            "describeInstance",
            "r2",
            Some("i-1"),
            "",
            Instant::now(),
        )
        .unwrap_err();
        assert_eq!((e.http.as_u16(), e.status), (404, "NOT_FOUND"));
        assert_eq!(e.message, "Instance 'i-1' not found.");
        assert_eq!(list(&s, "", Instant::now()).1, 4);
    }

    #[test]
    fn an_attach_shows_in_describe_only_when_its_task_ends() {
        let s = service(TASK);
        let t0 = Instant::now();
        assert!(describe(&s, "i-1", t0)
            .get("secondaryNetworkInterfaces")
            .is_some());
        assert_eq!(secondaries(&s, "i-1", t0), ["port-theirs"]);
        attach(&s, "i-1", "port-a", t0).unwrap();
        let during = t0 + Duration::from_millis(1999);
        assert_eq!(secondaries(&s, "i-1", during), ["port-theirs"]);
        let filter = "filters.1.name=networkInterfaceId&filters.1.values.1=port-a";
        assert_eq!(list(&s, filter, during), (vec![], 0));
        // Committed at once: attached_to and the snapshot show the target.
        assert_eq!(s.attached_to("port-a").as_deref(), Some("i-1"));

        let after = t0 + TASK;
        assert_eq!(secondaries(&s, "i-1", after), ["port-theirs", "port-a"]);
        assert_eq!(list(&s, filter, after), (vec!["i-1".to_owned()], 1));
        let view = describe(&s, "i-1", after);
        let a = &view["secondaryNetworkInterfaces"][1];
        assert_eq!(a["deviceIndex"], 3);
        assert_eq!(a["autoDelete"], true);
        assert_eq!(view["secondaryNetworkInterfaces"][0]["deviceIndex"], 2);
    }

    #[test]
    fn a_detach_shows_in_describe_only_when_its_task_ends() {
        let s = service(TASK);
        let t0 = Instant::now();
        detach(&s, "i-3", "port-s3", t0).unwrap();
        assert_eq!(s.attached_to("port-s3"), None);
        assert!(!s.snapshot(t0).network_interfaces[3].auto_delete);
        let during = t0 + Duration::from_secs(1);
        assert_eq!(secondaries(&s, "i-3", during), ["port-s3"]);
        let filter = "filters.1.name=networkInterfaceId&filters.1.values.1=port-s3";
        assert_eq!(list(&s, filter, during).1, 1);
        // The instance is busy; its other interfaces wait too.
        let (_, _, message) = refusal(attach(&s, "i-3", "port-b", during));
        assert!(
            message.starts_with("Conflict with underlay task task-"),
            "{message}"
        );
        // Still being detached: not free for another instance yet.
        assert_eq!(
            refusal(attach(&s, "i-1", "port-s3", during)),
            precondition("NetworkInterface has been attached on other device")
        );

        let after = t0 + TASK;
        assert!(describe(&s, "i-3", after)
            .get("secondaryNetworkInterfaces")
            .is_none());
        assert_eq!(list(&s, filter, after).1, 0);
        attach(&s, "i-1", "port-s3", after).unwrap();
    }

    #[test]
    fn an_interface_whose_attach_is_pending_is_taken() {
        let s = service(TASK);
        let t0 = Instant::now();
        attach(&s, "i-1", "port-a", t0).unwrap();
        assert_eq!(
            refusal(attach(&s, "i-3", "port-a", t0)),
            precondition("NetworkInterface has been attached on other device")
        );
        // Nor can it be detached from the instance whose task attaches it.
        let (_, _, message) = refusal(detach(&s, "i-1", "port-a", t0));
        assert!(
            message.starts_with("Conflict with underlay task"),
            "{message}"
        );
        detach(&s, "i-1", "port-a", t0 + TASK).unwrap();
    }

    #[test]
    fn detach_refusals_in_the_documented_order() {
        let s = service(TASK);
        let now = Instant::now();
        let not_found = |m: &str| (404, "NOT_FOUND", m.to_owned());
        assert_eq!(
            refusal(detach(&s, "i-nope", "port-nope", now)),
            not_found("Instance 'i-nope' not found.")
        );
        assert_eq!(
            refusal(s.detach("AK", "r2", "i-1", "port-a", now)),
            not_found("Instance 'i-1' not found.")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-nope", now)),
            not_found("NetworkInterface 'port-nope' not found.")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-r2", now)),
            not_found("NetworkInterface 'port-r2' not found.")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-theirs", now)),
            precondition("No NetworkInterface permissions.")
        );
        assert_eq!(
            refusal(s.detach("OTHER", "r1", "i-1", "port-a", now)),
            precondition("No NetworkInterface permissions.")
        );
        assert_eq!(
            refusal(detach(&s, "i-4", "port-s4", now)),
            precondition("Invalid instance status starting")
        );
        assert_eq!(
            refusal(detach(&s, "i-2", "port-a", now)),
            precondition("Conflict with underlay task task-2")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-p1", now)),
            precondition("Can't detach primaryNetworkInterface")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-a", now)),
            precondition("NetworkInterface 'port-a' is not attached to instance 'i-1'")
        );
        assert_eq!(
            refusal(detach(&s, "i-1", "port-s3", now)),
            precondition("NetworkInterface 'port-s3' is not attached to instance 'i-1'")
        );
        // The primary of another instance is just not attached to this one.
        assert_eq!(
            refusal(detach(&s, "i-3", "port-p1", now)),
            precondition("NetworkInterface 'port-p1' is not attached to instance 'i-3'")
        );
        // None of them changed anything or started a task.
        detach(&s, "i-3", "port-s3", now).unwrap();
        assert_eq!(s.attached_to("port-p1").as_deref(), Some("i-1"));
    }

    #[test]
    fn a_stopped_instance_can_be_detached_from() {
        let s = service(Duration::ZERO);
        detach(&s, "i-3", "port-s3", Instant::now()).unwrap();
        assert!(secondaries(&s, "i-3", Instant::now()).is_empty());
    }

    #[test]
    fn the_instance_json_is_jdclouds() {
        let s = service(Duration::ZERO);
        let view = describe(&s, "i-1", Instant::now());
        let p1 = &s.world().state.network_interfaces[2].clone();
        let theirs = &s.world().state.network_interfaces[5].clone();
        assert_eq!(
            view,
            json!({
                "instanceId": "i-1",
                "instanceName": "i-1",
                "instanceType": "g.n2.medium",
                "status": "running",
                "az": "r1a",
                "vpcId": "vpc-1",
                "subnetId": "subnet-1",
                "privateIpAddress": p1.private_ip(),
                "elasticIpId": "fip-p1",
                "elasticIpAddress": p1.elastic_ip_address(),
                "primaryNetworkInterface": {
                    "deviceIndex": 1,
                    "autoDelete": true,
                    "networkInterface": {
                        "networkInterfaceId": "port-p1",
                        "macAddress": p1.mac(),
                        "vpcId": "vpc-1",
                        "subnetId": "subnet-1",
                        "securityGroups": [{"groupId": "sg-1", "groupName": "web"}],
                        "primaryIp": {
                            "privateIpAddress": p1.private_ip(),
                            "elasticIpId": "fip-p1",
                            "elasticIpAddress": p1.elastic_ip_address()
                        }
                    }
                },
                "secondaryNetworkInterfaces": [{
                    "deviceIndex": 2,
                    "autoDelete": false,
                    "networkInterface": {
                        "networkInterfaceId": "port-theirs",
                        "macAddress": theirs.mac(),
                        "vpcId": "vpc-1",
                        "subnetId": "subnet-1",
                        "primaryIp": {"privateIpAddress": theirs.private_ip()}
                    }
                }]
            })
        );
        // No primary listed, no secondary: neither key, and the instance's own derived IP.
        let bare = describe(&s, "i-2", Instant::now());
        let keys: Vec<&str> = bare
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 8, "{bare}");
        assert!(bare.get("primaryNetworkInterface").is_none());
        assert!(bare.get("secondaryNetworkInterfaces").is_none());
        assert!(bare["privateIpAddress"]
            .as_str()
            .unwrap()
            .starts_with("10."));
    }

    #[test]
    fn describe_instances_filters_on_what_describe_shows() {
        let s = service(Duration::ZERO);
        let now = Instant::now();
        let ids = |query: &str| list(&s, query, now).0;
        assert_eq!(ids(""), ["i-1", "i-2", "i-3", "i-4"]);
        assert_eq!(
            ids("filters.1.name=instanceId&filters.1.values.1=i-3&filters.1.values.2=i-1&filters.1.values.3=i-5"),
            ["i-1", "i-3"]
        );
        assert_eq!(
            ids("filters.1.name=status&filters.1.values.1=stopped&filters.1.values.2=starting"),
            ["i-3", "i-4"]
        );
        assert_eq!(ids("filters.1.name=az&filters.1.values.1=r1b"), ["i-3"]);
        assert_eq!(
            ids("filters.1.name=vpcId&filters.1.values.1=vpc-1").len(),
            4
        );
        assert!(ids("filters.1.name=vpcId&filters.1.values.1=vpc-2").is_empty());
        assert_eq!(
            ids("filters.1.name=networkInterfaceId&filters.1.values.1=port-p1&filters.1.values.2=port-s4"),
            ["i-1", "i-4"]
        );
        // Two filters are AND-ed.
        assert_eq!(
            ids("filters.1.name=az&filters.1.values.1=r1a&filters.2.name=status&filters.2.values.1=running"),
            ["i-1", "i-2"]
        );
        assert_eq!(
            ids("filters.1.name=subnetId&filters.1.values.1=subnet-1").len(),
            4
        );
        assert_eq!(
            ids("filters.1.name=instanceType&filters.1.values.1=g.n2.medium").len(),
            4
        );
        assert_eq!(ids("filters.1.name=name&filters.1.values.1=-2"), ["i-2"]);
        let ip = s.world().state.network_interfaces[3].private_ip();
        assert_eq!(
            ids(&format!(
                "filters.1.name=privateIpAddress&filters.1.values.1={ip}"
            )),
            ["i-3"]
        );
    }

    #[test]
    fn pages_cut_the_matching_instances() {
        let s = service(Duration::ZERO);
        let now = Instant::now();
        // Four instances, pages of ten: one page, then nothing, the count always the same.
        assert_eq!(
            list(&s, "pageSize=10", now),
            (
                vec!["i-1".into(), "i-2".into(), "i-3".into(), "i-4".into()],
                4
            )
        );
        assert_eq!(list(&s, "pageSize=10&pageNumber=2", now), (vec![], 4));
        assert_eq!(
            list(&s, "pageSize=100&pageNumber=18446744073709551615", now),
            (vec![], 4)
        );
    }
}

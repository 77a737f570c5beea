//! The VM service: the world of instances and interfaces, and the attach operation with its
//! documented preconditions (see the module docs of [`crate::emulator`] for their order).
//!
//! One mutex guards the whole world, and an attach checks and changes it without letting go:
//! of many concurrent attaches of one interface exactly one wins.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{
    body::AttachRequest,
    reply::ApiError,
    state::{EmulatorState, Instance, NetworkInterface},
};

/// A task in progress on an instance; attaches to it are refused until it ends.
#[derive(Clone, Debug)]
struct Task {
    id: String,
    /// `None`: a task that never ends (`"busy": true` in the state file).
    until: Option<Instant>,
}

impl Task {
    fn running_at(&self, now: Instant) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

struct World {
    state: EmulatorState,
    instance_index: HashMap<String, usize>,
    interface_index: HashMap<String, usize>,
    /// Tasks by instance index.
    tasks: HashMap<usize, Task>,
}

pub(crate) struct Service {
    world: Mutex<World>,
    task_duration: Duration,
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
                };
                (at, task)
            })
            .collect();
        Service {
            world: Mutex::new(World {
                state,
                instance_index,
                interface_index,
                tasks,
            }),
            task_duration,
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // Nothing panics while holding the lock; if something ever did, the world is still
        // consistent (each change is one assignment), so keep serving.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `attachNetworkInterface` by the holder of `caller` (an access key).
    pub(crate) fn attach(
        &self,
        caller: &str,
        region_id: &str,
        instance_id: &str,
        request: &AttachRequest,
        now: Instant,
    ) -> Result<(), ApiError> {
        let mut world = self.world();
        let world = &mut *world;
        let nic_id = &request.network_interface_id;

        let instance_at = world
            .instance_index
            .get(instance_id)
            .copied()
            .filter(|&at| world.state.instances[at].region == region_id)
            .ok_or_else(|| ApiError::not_found(format!("Instance '{instance_id}' not found.")))?;
        let nic_at = world
            .interface_index
            .get(nic_id.as_str())
            .copied()
            .filter(|&at| world.state.network_interfaces[at].region == region_id)
            .ok_or_else(|| {
                ApiError::not_found(format!("NetworkInterface '{nic_id}' not found."))
            })?;
        let instance: &Instance = &world.state.instances[instance_at];
        let nic: &NetworkInterface = &world.state.network_interfaces[nic_at];

        if nic.owner != caller {
            return Err(ApiError::precondition("No NetworkInterface permissions."));
        }
        if instance.status != "running" && instance.status != "stopped" {
            return Err(ApiError::precondition(format!(
                "Invalid instance status {}",
                instance.status
            )));
        }
        if let Some(task) = world.tasks.get(&instance_at).filter(|t| t.running_at(now)) {
            return Err(ApiError::precondition(format!(
                "Conflict with underlay task {}",
                task.id
            )));
        }
        if nic.primary {
            return Err(ApiError::precondition(format!(
                "NetworkInterface '{nic_id}' is a primary network interface and cannot be attached"
            )));
        }
        if nic.attached_to.is_some() {
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

        let nic = &mut world.state.network_interfaces[nic_at];
        nic.attached_to = Some(instance_id.to_owned());
        nic.auto_delete = request.auto_delete;
        world.tasks.insert(
            instance_at,
            Task {
                id: new_task_id(),
                // A duration too long to represent never ends.
                until: now.checked_add(self.task_duration),
            },
        );
        Ok(())
    }

    /// The instance an interface is attached to.
    pub(crate) fn attached_to(&self, network_interface_id: &str) -> Option<String> {
        self.world()
            .state
            .attached_to(network_interface_id)
            .map(str::to_owned)
    }

    /// The world as a state file would describe it: instances with a task in progress are
    /// `busy`.
    pub(crate) fn snapshot(&self, now: Instant) -> EmulatorState {
        let world = self.world();
        let mut state = world.state.clone();
        for (at, instance) in state.instances.iter_mut().enumerate() {
            instance.busy = world.tasks.get(&at).is_some_and(|t| t.running_at(now));
        }
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

fn new_task_id() -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let suffix: String = (0..10)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect();
    format!("task-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(task: Duration) -> Service {
        let state = EmulatorState::from_json(
            r#"{
              "credentials": [{"access_key": "AK", "secret_key": "SK"}],
              "instances": [
                {"id": "i-1", "region": "r1", "az": "r1a", "vpc": "v1", "max_network_interfaces": 3},
                {"id": "i-2", "region": "r1", "az": "r1a", "vpc": "v1", "busy": true}
              ],
              "network_interfaces": [
                {"id": "port-a", "region": "r1", "vpc": "v1", "owner": "AK"},
                {"id": "port-b", "region": "r1", "vpc": "v1", "owner": "AK"}
              ]
            }"#,
        )
        .unwrap();
        Service::new(state, task)
    }

    fn attach(s: &Service, instance: &str, nic: &str, now: Instant) -> Result<(), ApiError> {
        let request = AttachRequest {
            network_interface_id: nic.into(),
            auto_delete: true,
        };
        s.attach("AK", "r1", instance, &request, now)
    }

    #[test]
    fn an_attach_starts_a_task_that_ends() {
        let s = service(Duration::from_secs(2));
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
        attach(&s, "i-1", "port-b", t0 + Duration::from_secs(2)).unwrap();
        assert!(s.snapshot(t0).network_interfaces[1].auto_delete);
    }

    #[test]
    fn a_busy_instance_has_a_stable_task_id() {
        let s = service(Duration::ZERO);
        let e = attach(&s, "i-2", "port-a", Instant::now()).unwrap_err();
        assert_eq!(e.message, "Conflict with underlay task task-2");
    }

    #[test]
    fn another_region_hides_the_instance() {
        let s = service(Duration::ZERO);
        let request = AttachRequest {
            network_interface_id: "port-a".into(),
            auto_delete: false,
        };
        let e = s
            .attach("AK", "r2", "i-1", &request, Instant::now())
            .unwrap_err();
        assert_eq!(e.message, "Instance 'i-1' not found.");
    }
}

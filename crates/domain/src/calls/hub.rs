use tokio::sync::broadcast;

use super::{CallEvent, CallEvents};

/// Call events within one process, fanned out to every subscriber (agent
/// consoles, customer dashboards). A subscriber that falls more than
/// `capacity` events behind is told it lagged and reloads its list.
#[derive(Clone)]
pub struct LocalHub {
    sender: broadcast::Sender<CallEvent>,
}

impl LocalHub {
    pub fn new(capacity: usize) -> Self {
        LocalHub {
            sender: broadcast::channel(capacity).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.sender.subscribe()
    }
}

impl Default for LocalHub {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl CallEvents for LocalHub {
    fn publish(&self, event: CallEvent) {
        // No subscribers is fine: nobody is watching.
        let _ = self.sender.send(event);
    }
}

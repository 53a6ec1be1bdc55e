//! Test support: the recorded exchanges of MSAL Python with the test authority.

use crate::test_support::wire_dir;

/// One recorded exchange of a recording file.
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: serde_json::Map<String, serde_json::Value>,
    pub body: String,
    pub status: u16,
    pub response: String,
}

/// Every exchange of the recording `name` (without `.json`).
pub(crate) fn recording(name: &str) -> Vec<Recorded> {
    let file = wire_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read recording {}: {e}", file.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("recording is JSON");
    let text_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    doc["requests"]
        .as_array()
        .expect("requests array")
        .iter()
        .map(|r| Recorded {
            method: text_of(&r["method"]),
            path: text_of(&r["path"]),
            headers: r["headers"].as_object().cloned().unwrap_or_default(),
            body: text_of(&r["body"]),
            status: u16::try_from(r["status"].as_u64().unwrap_or(0)).unwrap_or(0),
            response: text_of(&r["response"]),
        })
        .collect()
}

/// The first exchange of the recording `name` whose method and path match.
pub(crate) fn exchange(name: &str, method: &str, path_suffix: &str) -> Recorded {
    recording(name)
        .into_iter()
        .find(|r| r.method == method && r.path.ends_with(path_suffix))
        .unwrap_or_else(|| panic!("{name} has no {method} {path_suffix}"))
}

/// A recording `HttpClient`: answers every request with the canned responses, in order, and
/// keeps what it was sent.
#[derive(Debug, Default)]
pub(crate) struct FakeClient {
    pub answers: std::sync::Mutex<Vec<crate::Result<crate::http::HttpResponse>>>,
    pub sent: std::sync::Mutex<Vec<crate::http::HttpRequest>>,
}

impl FakeClient {
    /// A client that answers once with `response`.
    pub fn answering(response: crate::Result<crate::http::HttpResponse>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            answers: std::sync::Mutex::new(vec![response]),
            sent: std::sync::Mutex::default(),
        })
    }

    /// The requests sent so far.
    pub fn sent(&self) -> Vec<crate::http::HttpRequest> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl crate::http::HttpClient for FakeClient {
    async fn execute(
        &self,
        request: crate::http::HttpRequest,
    ) -> crate::Result<crate::http::HttpResponse> {
        self.sent.lock().unwrap().push(request);
        // The last answer repeats, as a dead or consistently failing server would.
        let mut answers = self.answers.lock().unwrap();
        match answers.len() {
            0 => panic!("the fake client has no answer"),
            1 => answers[0].clone(),
            _ => answers.remove(0),
        }
    }
}

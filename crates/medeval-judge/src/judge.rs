//! Asking a judge: one request per judgement, every sampling setting sent, every reply cached.

use std::sync::Arc;

use medeval_core::{Completion, Decoding, PromptPart, RenderedPrompt};
use medeval_models::ChatClient;
use medeval_models::request::chat_body;

use crate::spec::JudgeSpec;
use crate::verdict::{self, Judgement, Unjudged};

/// Where a judge's replies are kept, so the same question is never asked twice: a rescore
/// with the same judge makes no request, and a changed verdict reader re-reads the kept
/// replies.
///
/// The key is the SHA-256 of the request body, which holds the judge model, every sampling
/// setting and the rendered prompt. A cache that fails is skipped (the judge is asked), never
/// fatal.
pub trait JudgeCache: Send + Sync {
    /// The reply kept for `key`, if any.
    fn get(&self, key: &str) -> Option<Completion>;
    /// Keeps `reply` under `key` (the first reply kept stays).
    fn put(&self, key: &str, model: &str, reply: &Completion);
}

/// How a judge is asked: its model's client, the spec, the sampling settings sent with every
/// request.
#[derive(Clone)]
pub struct Judge {
    spec: Arc<JudgeSpec>,
    client: Arc<ChatClient>,
    settings: JudgeSampling,
    cache: Option<Arc<dyn JudgeCache>>,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("spec", &self.spec.name())
            .field("model", &self.client.model())
            .field("settings", &self.settings)
            .field("cached", &self.cache.is_some())
            .finish()
    }
}

/// The sampling settings sent to a judge; all of them are sent explicitly, so a server's own
/// defaults (vLLM applies a model's `generation_config.json`) never decide them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgeSampling {
    /// Sampling temperature.
    pub temperature: f64,
    /// Nucleus sampling mass (1: off).
    pub top_p: f64,
    /// Token limit of a reply.
    pub max_tokens: u32,
    /// How many times a reply without a readable verdict is asked for again (0: never). A
    /// transport failure is retried by the client, not here.
    pub unreadable_retries: u32,
}

impl JudgeSampling {
    /// The spec's own settings: its temperature and token limit, top-p 1, one retry of an
    /// unreadable reply.
    pub fn of(spec: &JudgeSpec) -> Self {
        Self {
            temperature: spec.temperature(),
            top_p: 1.0,
            max_tokens: spec.max_tokens(),
            unreadable_retries: 1,
        }
    }
}

/// A judgement and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The verdict.
    pub judgement: Judgement,
    /// Whether the reply came from the cache (no request was made).
    pub cached: bool,
    /// The cache key (request digest) of the reply read, when there was one.
    pub key: Option<String>,
}

impl Judge {
    /// A judge asking `client`'s model under `spec`.
    pub fn new(spec: Arc<JudgeSpec>, client: Arc<ChatClient>, settings: JudgeSampling) -> Self {
        Self {
            spec,
            client,
            settings,
            cache: None,
        }
    }

    /// The same judge keeping its replies in `cache`.
    pub fn with_cache(mut self, cache: Arc<dyn JudgeCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The spec.
    pub fn spec(&self) -> &JudgeSpec {
        &self.spec
    }

    /// The judge model's name.
    pub fn model(&self) -> &str {
        self.client.model()
    }

    /// The settings sent with every request.
    pub fn settings(&self) -> JudgeSampling {
        self.settings
    }

    /// Asks the judge about `prompt` (already rendered and fenced): from the cache when it
    /// holds the reply, else by request, asking again (up to the retry limit) while the reply
    /// has no readable verdict. The last reply is kept in the cache; a request that failed
    /// is not, so a later rescore asks again.
    pub async fn decide(&self, prompt: &str) -> Decision {
        let rendered = RenderedPrompt {
            system: self.spec.system().map(str::to_owned),
            parts: vec![PromptPart::Text(prompt.to_owned())],
        };
        let decoding = Decoding {
            temperature: Some(self.settings.temperature),
            top_p: Some(self.settings.top_p),
            max_tokens: Some(self.settings.max_tokens),
            seed: None,
            extra_body: None,
        };
        let body = chat_body(self.client.model(), &rendered, &[], &decoding);
        let key = body.sha256.clone();
        if let Some(reply) = self.cache.as_ref().and_then(|cache| cache.get(&key)) {
            return Decision {
                judgement: verdict::read(self.spec.reader(), &reply),
                cached: true,
                key: Some(key),
            };
        }
        let mut asked = 0;
        loop {
            asked += 1;
            let exchange = self.client.complete(&body.bytes).await;
            let reply = match exchange.result {
                Ok(reply) => reply,
                Err(_) => {
                    let message = exchange.error_message().unwrap_or_default();
                    return Decision {
                        judgement: Judgement::Unjudged(Unjudged::JudgeError(message)),
                        cached: false,
                        key: None,
                    };
                }
            };
            let judgement = verdict::read(self.spec.reader(), &reply);
            let unreadable = matches!(&judgement, Judgement::Unjudged(why) if why.is_unreadable());
            if unreadable && asked <= self.settings.unreadable_retries {
                continue;
            }
            if let Some(cache) = &self.cache {
                cache.put(&key, self.client.model(), &reply);
            }
            return Decision {
                judgement,
                cached: false,
                key: Some(key),
            };
        }
    }
}

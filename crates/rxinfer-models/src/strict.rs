//! Object-only decoding: serde's derive also accepts a JSON array for a
//! struct (`["abc"]` would be a token), which no schema of the API allows.

/// Implements `Serialize` and `Deserialize` for a struct that derives them
/// with `#[serde(remote = "Self")]`, so that only a JSON object (a map)
/// decodes into it.
macro_rules! json_object {
    ($type:ident) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $type::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectOnly;

                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $type;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($type), ")"))
                    }

                    fn visit_map<M: serde::de::MapAccess<'de>>(
                        self,
                        map: M,
                    ) -> Result<$type, M::Error> {
                        $type::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }

                deserializer.deserialize_map(ObjectOnly)
            }
        }
    };
}

pub(crate) use json_object;

package stripetest

import (
	"encoding/json"
	"time"
)

func eventJSON(id, typ, account string, object map[string]any) []byte {
	ev := map[string]any{
		"id":               id,
		"object":           "event",
		"api_version":      "2023-10-16",
		"created":          time.Now().Unix(),
		"livemode":         false,
		"type":             typ,
		"data":             map[string]any{"object": object},
		"pending_webhooks": 1,
		"request":          map[string]any{"id": nil, "idempotency_key": nil},
	}
	if account != "" {
		ev["account"] = account
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

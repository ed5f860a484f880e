HTTP/1.1 200 OK
Content-Length: 681
Content-Type: application/json
X-Request-Id: 01a25062-4d4f-7846-868f-8760aa1c7bfe
X-Session-Id: 01a25062-4d4f-7ade-b5a5-74fe39327863
Date: Mon, 07 Dec 2026 12:02:29 GMT


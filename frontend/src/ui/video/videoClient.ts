import { VideoApi } from "../../core/videoApi";
import { api } from "../api";

/** Video calls over the app's one API client. */
export const videoApi = new VideoApi(api);
